// Dashboard strings in English and Chinese; the language follows the browser until the user picks one.
"use strict";
const STRINGS = {
  en: {
    login: "Log in", logout: "Log out", name: "Name", password: "Password", setup: "Create the admin",
    setup_hint: "First run: create the administrator account.", wrong_login: "Wrong name or password",
    tab_home: "Home", tab_car: "Car", tab_people: "People", tab_rules: "Automations", tab_copilot: "Copilot",
    tab_log: "Log", send: "Send", ask_placeholder: "Ask Hearth… e.g. turn off the kitchen light",
    events: "Events", audit: "Audit", window: "Window", close: "Close", history: "History",
    confirm_risky: "This needs confirmation: {msg}. Go ahead?", confirm: "Confirm", done: "Done",
    home: "home", away: "away", asleep: "asleep", awake: "awake", at: "at", unknown: "unknown",
    soc: "Battery", range: "Range", charging: "Charging", not_charging: "Not charging", cabin: "Cabin",
    locked: "Locked", unlocked: "Unlocked", speed: "Speed", distance_home: "From home", plugged: "Cable plugged in",
    enabled: "enabled", disabled: "disabled", enable: "Enable", disable: "Disable", traces: "Last runs",
    no_rules: "No automations on this hub.", new_rule: "Describe an automation in words",
    create_rule: "Create with the copilot", no_history: "No history in this window.", other: "Other devices",
    saved: "Saved", offline: "Connection lost — reconnecting…", no_runs: "No runs yet.",
  },
  zh: {
    login: "登录", logout: "退出", name: "用户名", password: "密码", setup: "创建管理员",
    setup_hint: "首次使用：请创建管理员账号。", wrong_login: "用户名或密码错误",
    tab_home: "家", tab_car: "汽车", tab_people: "家人", tab_rules: "自动化", tab_copilot: "助手",
    tab_log: "日志", send: "发送", ask_placeholder: "问问 Hearth…… 例如：关掉厨房的灯",
    events: "事件", audit: "审计", window: "时间范围", close: "关闭", history: "历史",
    confirm_risky: "此操作需要确认：{msg}。确定执行吗？", confirm: "确认", done: "完成",
    home: "在家", away: "外出", asleep: "睡眠中", awake: "醒着", at: "在", unknown: "未知",
    soc: "电量", range: "续航", charging: "充电中", not_charging: "未充电", cabin: "车内",
    locked: "已上锁", unlocked: "未上锁", speed: "车速", distance_home: "离家", plugged: "已插枪",
    enabled: "已启用", disabled: "已停用", enable: "启用", disable: "停用", traces: "最近运行",
    no_rules: "此中枢没有自动化。", new_rule: "用一句话描述自动化",
    create_rule: "让助手创建", no_history: "该时间范围内没有历史记录。", other: "其他设备",
    saved: "已保存", offline: "连接中断，正在重连……", no_runs: "还没有运行记录。",
  },
};

function pickLang() {
  const saved = localStorage.getItem("hearth-lang");
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

let LANG = pickLang();

function t(key, vars) {
  let text = (STRINGS[LANG] && STRINGS[LANG][key]) || STRINGS.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) text = text.replace(`{${k}}`, v);
  return text;
}

function applyI18n() {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  document.getElementById("lang").textContent = LANG === "zh" ? "English" : "中文";
}
