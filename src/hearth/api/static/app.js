// Hearth dashboard: plain JavaScript over the REST API and the WebSocket stream; no build step.
"use strict";

const S = { home: null, devices: {}, states: {}, me: null, ws: null, events: [], rules: [] };
const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) node.append(kid);
  return node;
};

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {}, ...options };
  if (options.body !== undefined && typeof options.body !== "string") {
    init.body = JSON.stringify(options.body);
    init.headers["content-type"] = "application/json";
  }
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (!res.ok) {
    const err = new Error((data && data.error) || res.statusText);
    err.status = res.status; err.data = data || {};
    throw err;
  }
  return data;
}

function toast(text) {
  const box = $("#toast");
  box.textContent = text; box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

const CJK = /[\u4e00-\u9fff]/;
function label(thing) {
  if (!thing) return "";
  if (LANG === "zh") {
    const alias = (thing.aliases || []).find((a) => CJK.test(a));
    if (alias) return alias;
  }
  return thing.name || thing.id;
}

function fmt(value, prop) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "✓" : "✗";
  if (typeof value === "number") {
    const unit = prop && prop.unit ? UNIT[prop.unit] ?? ` ${prop.unit}` : "";
    return `${Math.round(value * 10) / 10}${unit}`;
  }
  return String(value);
}
const UNIT = { percentage: "%", celsius: " °C", kelvin: " K", meters: " m", "km/h": " km/h", watt: " W",
  arcdegrees: "°", lux: " lx", bpm: " bpm", kWh: " kWh", ampere: " A", s: " s" };

// ---- auth ----

async function start() {
  applyI18n();
  $("#lang").onclick = () => { LANG = LANG === "zh" ? "en" : "zh"; localStorage.setItem("hearth-lang", LANG);
    applyI18n(); if (S.me) renderAll(); };
  $("#logout").onclick = async () => { await api("/api/logout", { method: "POST" }); location.reload(); };
  try {
    S.me = await api("/api/me");
  } catch (_) {
    return showLogin();
  }
  await enter();
}

async function showLogin() {
  const setup = (await api("/api/setup")).needed;
  $("#auth").hidden = false;
  $("#auth-title").textContent = setup ? t("setup") : t("login");
  $("#auth-submit").textContent = setup ? t("setup") : t("login");
  if (setup) $("#auth-error").textContent = t("setup_hint");
  $("#login-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const body = { name: form.get("name"), password: form.get("password") };
    try {
      S.me = await api(setup ? "/api/setup" : "/api/login", { method: "POST", body });
      $("#auth").hidden = true;
      await enter();
    } catch (err) {
      $("#auth-error").textContent = err.status === 401 ? t("wrong_login") : err.message;
    }
  };
}

async function enter() {
  $("#who").textContent = `${S.me.name} · ${S.me.role}`;
  // Wire the controls before showing them, so a click while the home loads is never lost.
  document.querySelectorAll("#tabs button").forEach((b) => { b.onclick = () => showTab(b.dataset.tab); });
  $("#ask-form").onsubmit = onAsk;
  $("#history-window").onchange = () => drawHistory();
  $("#logout").hidden = false; $("#tabs").hidden = false; $("#app").hidden = false;
  S.home = await api("/api/home");
  $("#home-name").textContent = S.home.name;
  for (const d of await api("/api/devices")) { S.devices[d.id] = d; S.states[d.id] = d.state; }
  renderAll();
  connect();
  loadAudit();
  setInterval(() => { $("#clock").textContent = new Date().toLocaleTimeString(LANG === "zh" ? "zh-CN" : "en"); }, 1000);
}

function showTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== `tab-${name}`; });
  if (name === "rules") loadRules();
  if (name === "log") loadAudit();
}

// ---- live updates ----

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/api/ws`);
  S.ws = ws;
  ws.onmessage = (msg) => onMessage(JSON.parse(msg.data));
  ws.onclose = () => { toast(t("offline")); setTimeout(connect, 1500); };
}

function onMessage(m) {
  if (m.type === "batch") { m.messages.forEach(onMessage); return; }  // several changes in one frame
  if (m.type === "snapshot") {
    for (const [id, st] of Object.entries(m.states)) S.states[id] = st;
    renderAll();
  } else if (m.type === "state") {
    const st = S.states[m.device] || (S.states[m.device] = {});
    st[`${m.service}.${m.property}`] = m.new;
    updateDevice(m.device);
    logEvent(`${deviceName(m.device)} · ${m.property} → ${fmt(m.new)}`);
  } else if (m.type === "notification") {
    toast(`${m.title}: ${m.message}`);
    logEvent(`🔔 ${m.title}: ${m.message}`);
  } else if (m.type === "rule") {
    logEvent(`⚙ ${m.rule} (${m.trigger}) ${m.outcome}`);
  } else if (m.type === "audit") {
    prependAudit(m);
  }
}

function deviceName(id) { return label(S.devices[id]) || id; }

function logEvent(text) {
  const list = $("#events");
  list.prepend(el("li", {}, `${new Date().toLocaleTimeString()}  ${text}`));
  while (list.children.length > 200) list.lastChild.remove();
}

// ---- rendering ----

function renderAll() { renderHome(); renderCar(); renderPeople(); }

const HIDDEN_TYPES = new Set(["person", "phone", "watch", "car"]);

function renderHome() {
  const root = $("#tab-home");
  root.replaceChildren();
  const floors = S.home.floors.length ? S.home.floors : [{ id: null, name: "" }];
  for (const floor of floors) {
    const areas = S.home.areas.filter((a) => a.floor === floor.id || (!floor.id && !a.floor));
    const rooms = areas.map((area) => roomCard(area, devicesIn(area.id))).filter(Boolean);
    if (rooms.length) root.append(el("div", { class: "floor" }, el("h2", {}, label(floor)), el("div", { class: "rooms" }, rooms)));
  }
  const loose = Object.values(S.devices).filter((d) => !d.area && !HIDDEN_TYPES.has(d.type));
  if (loose.length) root.append(el("div", { class: "rooms" }, roomCard({ id: "", name: t("other") }, loose)));
}

function devicesIn(areaId) {
  return Object.values(S.devices).filter((d) => d.area === areaId && !HIDDEN_TYPES.has(d.type));
}

function roomCard(area, devices) {
  if (!devices.length) return null;
  return el("div", { class: "card room", "data-area": area.id }, el("h3", {}, label(area)), devices.map(deviceBlock));
}

function headline(device) {
  const st = S.states[device.id] || {};
  for (const key of Object.keys(st)) {
    if (/\.(on|locked|open|motion-state|occupancy-status)$/.test(key)) return `${key.split(".").pop()}: ${fmt(st[key])}`;
    if (/(temperature|target-position|current-position|status)$/.test(key)) return `${key.split(".").pop()}: ${fmt(st[key])}`;
  }
  return "";
}

function deviceBlock(device) {
  const box = el("details", { class: "device", "data-device": device.id },
    el("summary", {}, el("span", {}, label(device)), el("span", { class: "headline" }, headline(device))));
  box.addEventListener("toggle", () => { if (box.open) fillDevice(box, device); });
  return box;
}

async function fillDevice(box, device) {
  if (!device.spec) Object.assign(device, await api(`/api/devices/${encodeURIComponent(device.id)}`));
  box.querySelectorAll(".body").forEach((n) => n.remove());
  box.append(el("div", { class: "body" }, controlsFor(device)));
}

function updateDevice(id) {
  const device = S.devices[id];
  if (!device) return;
  document.querySelectorAll(`[data-device="${CSS.escape(id)}"]`).forEach((box) => {
    const head = box.querySelector(".headline");
    if (head) head.textContent = headline(device);
    box.querySelectorAll("[data-key]").forEach((node) => setControl(node, S.states[id][node.dataset.key]));
  });
  if (device.type === "car") renderCar();
  if (device.type === "person") renderPeople();
}

function controlsFor(device, only) {
  const parts = [];
  for (const [svc, service] of Object.entries(device.spec.services)) {
    for (const [name, prop] of Object.entries(service.properties)) {
      const key = `${svc}.${name}`;
      if (only && !only.includes(name)) continue;
      parts.push(propRow(device, svc, name, prop, key));
    }
    const acts = Object.entries(service.actions);
    if (acts.length && !only) {
      parts.push(el("div", { class: "actions" }, acts.map(([a, spec]) =>
        el("button", { type: "button", onclick: () => callAction(device, svc, a, spec) }, a))));
    }
  }
  return parts;
}

function shortName(name) { return name.startsWith("Vehicle.") ? name.split(".").slice(-2).join(" ") : name; }

function propRow(device, svc, name, prop, key) {
  const value = (S.states[device.id] || {})[key];
  const writable = prop.access.includes("write");
  let control;
  if (!writable) {
    control = el("span", { class: "value", "data-key": key, "data-unit": prop.unit || "" }, fmt(value, prop));
  } else if (prop.format === "bool") {
    control = el("input", { type: "checkbox", "data-key": key, "aria-label": name,
      onchange: (ev) => send(device, svc, name, ev.target.checked) });
  } else if (prop.choices) {
    control = el("select", { "data-key": key, "aria-label": name, onchange: (ev) => send(device, svc, name, ev.target.value) },
      prop.choices.map((c) => el("option", { value: c }, c)));
  } else if (prop.range && prop.format !== "string") {
    const out = el("span", { class: "value" }, fmt(value, prop));
    const input = el("input", { type: "range", min: prop.range.min, max: prop.range.max,
      step: prop.range.step || (prop.format === "int" ? 1 : 0.1), "data-key": key, "aria-label": name,
      oninput: (ev) => { out.textContent = fmt(Number(ev.target.value), prop); },
      onchange: (ev) => send(device, svc, name, Number(ev.target.value)) });
    control = el("span", { class: "row" }, input, out);
  } else {
    control = el("input", { "data-key": key, "aria-label": name, onchange: (ev) => send(device, svc, name, ev.target.value) });
  }
  setControl(control.matches("[data-key]") ? control : control.querySelector("[data-key]"), value, prop);
  const chart = prop.format === "int" || prop.format === "float"
    ? el("button", { type: "button", class: "chart", title: t("history"), onclick: () => openHistory(device, svc, name, prop) }, "📈")
    : null;
  return el("div", { class: "prop" }, el("span", {}, shortName(name), chart), control);
}

function setControl(node, value, prop) {
  if (!node) return;
  if (node.type === "checkbox") node.checked = !!value;
  else if (node.tagName === "SELECT" || node.tagName === "INPUT") {
    if (document.activeElement !== node && value !== undefined && value !== null) node.value = value;
    const out = node.nextElementSibling;
    if (out && node.type === "range") out.textContent = fmt(value, prop || { unit: node.dataset.unit });
  } else node.textContent = fmt(value, prop || { unit: node.dataset.unit });
}

async function send(device, service, property, value, confirm = false) {
  try {
    await api("/api/commands", { method: "POST", body: { device: device.id, service, property, value, confirm } });
  } catch (err) {
    if (err.status === 409 && err.data.needs_confirmation && window.confirm(t("confirm_risky", { msg: err.message }))) {
      return send(device, service, property, value, true);
    }
    toast(err.message);
    updateDevice(device.id);
  }
}

async function callAction(device, service, action, spec, confirm = false) {
  const args = {};
  for (const input of spec.inputs || []) {
    const given = window.prompt(`${action}: ${input}`);
    if (given === null) return;
    args[input] = given;
  }
  try {
    await api("/api/commands", { method: "POST", body: { device: device.id, service, action, args, confirm } });
    toast(`${label(device)}: ${action}`);
  } catch (err) {
    if (err.status === 409 && err.data.needs_confirmation && window.confirm(t("confirm_risky", { msg: err.message }))) {
      return callAction(device, service, action, spec, true);
    }
    toast(err.message);
  }
}

// ---- car ----

const V = "vehicle.Vehicle.";
function haversine(lat1, lon1, lat2, lon2) {
  const r = 6371000, rad = Math.PI / 180;
  const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}

function renderCar() {
  const root = $("#tab-car");
  root.replaceChildren();
  for (const car of Object.values(S.devices).filter((d) => d.type === "car")) {
    const st = S.states[car.id] || {};
    const soc = st[V + "Powertrain.TractionBattery.StateOfCharge.Current"];
    const range = st[V + "Powertrain.Range"];
    const lat = st[V + "CurrentLocation.Latitude"], lon = st[V + "CurrentLocation.Longitude"];
    const home = S.home.location;
    const dist = lat !== undefined ? haversine(home.latitude, home.longitude, lat, lon) : null;
    const charging = st[V + "Powertrain.TractionBattery.Charging.IsCharging"];
    const locked = st[V + "Cabin.Door.Row1.DriverSide.IsLocked"];
    const card = el("div", { class: "card", "data-device": car.id },
      el("h2", {}, label(car)),
      el("div", { class: "grid2" },
        el("div", {},
          el("p", {}, `${t("soc")}: `, el("strong", { "data-car": "soc" }, fmt(soc, { unit: "percentage" }))),
          el("div", { class: "bar" }, el("span", { style: `width:${Math.max(0, Math.min(100, soc || 0))}%` })),
          el("p", {}, `${t("range")}: ${range !== undefined ? Math.round(range / 1000) + " km" : "—"}`),
          el("p", {}, el("span", { class: `pill ${charging ? "on" : ""}` }, charging ? t("charging") : t("not_charging")), " ",
            st[V + "Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected"] ? el("span", { class: "pill" }, t("plugged")) : null),
          el("p", {}, `${t("cabin")}: ${fmt(st[V + "Cabin.HVAC.AmbientAirTemperature"], { unit: "celsius" })} · ${locked ? t("locked") : t("unlocked")}`),
          el("p", {}, `${t("speed")}: ${fmt(st[V + "Speed"], { unit: "km/h" })} · ${t("distance_home")}: ${dist === null ? "—" : dist < 1000 ? Math.round(dist) + " m" : (dist / 1000).toFixed(1) + " km"}`)),
        positionView(lat, lon)));
    root.append(card);
    if (car.spec) root.append(el("div", { class: "card" }, controlsFor(car, CAR_CONTROLS)));
    else api(`/api/devices/${encodeURIComponent(car.id)}`).then((full) => { Object.assign(car, full); renderCar(); });
  }
}

const CAR_CONTROLS = ["Vehicle.Cabin.HVAC.IsAirConditioningActive", "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature",
  "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked", "Vehicle.Body.Trunk.Rear.IsOpen",
  "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", "Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging"];

function positionView(lat, lon) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "-110 -110 220 220");
  svg.setAttribute("aria-label", "position");
  const add = (tag, attrs) => { const n = document.createElementNS(svg.namespaceURI, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); svg.append(n); return n; };
  add("circle", { r: 100, fill: "#fbfaf8", stroke: "#e4e0d8" });
  add("circle", { r: 50, fill: "none", stroke: "#e4e0d8", "stroke-dasharray": "3 3" });
  const homeZones = S.home.zones || [];
  const scale = 100 / 10000; // 10 km to the edge
  for (const z of homeZones) {
    const dx = (z.longitude - S.home.location.longitude) * 111320 * Math.cos(S.home.location.latitude * Math.PI / 180);
    const dy = (z.latitude - S.home.location.latitude) * 110540;
    add("circle", { cx: dx * scale, cy: -dy * scale, r: Math.max(2, z.radius * scale), fill: z.id === "home" ? "#2a9d8f" : "#ddd" });
    const text = add("text", { x: dx * scale + 4, y: -dy * scale - 4, "font-size": 9, fill: "#777" }); text.textContent = z.name;
  }
  if (lat !== undefined && lon !== undefined) {
    const dx = (lon - S.home.location.longitude) * 111320 * Math.cos(S.home.location.latitude * Math.PI / 180);
    const dy = (lat - S.home.location.latitude) * 110540;
    const r = Math.hypot(dx, dy) * scale;
    const k = r > 100 ? 100 / r : 1;
    add("circle", { cx: dx * scale * k, cy: -dy * scale * k, r: 5, fill: "#c8553d" });
  }
  return svg;
}

// ---- people ----

function renderPeople() {
  const root = $("#tab-people");
  root.replaceChildren();
  for (const person of S.home.people) {
    const st = S.states[person.id] || {};
    const atHome = st["presence.at-home"], zone = st["presence.zone"], area = st["presence.area"];
    const where = atHome ? `${t("home")}${area ? " · " + label(S.home.areas.find((a) => a.id === area) || { name: area }) : ""}`
      : `${t("away")}${zone ? " · " + t("at") + " " + zone : ""}`;
    root.append(el("div", { class: "card", "data-person": person.id },
      el("h2", {}, label(S.devices[person.id] || person)),
      el("p", {}, el("span", { class: `pill ${atHome ? "on" : ""}` }, where), " ",
        el("span", { class: "pill" }, st["sleep.asleep"] ? t("asleep") : t("awake")))));
  }
}

// ---- history ----

let HISTORY = null;
function openHistory(device, service, prop, spec) {
  HISTORY = { device, service, prop, spec };
  $("#history-title").textContent = `${label(device)} · ${shortName(prop)}`;
  $("#history-dialog").showModal();
  drawHistory();
}

async function drawHistory() {
  if (!HISTORY) return;
  const { device, service, prop, spec } = HISTORY;
  const windowS = Number($("#history-window").value);
  const since = Date.now() / 1000 - windowS;
  const svg = $("#history-chart");
  svg.replaceChildren();
  let data;
  try {
    data = await api(`/api/devices/${encodeURIComponent(device.id)}/history/${encodeURIComponent(service)}/${encodeURIComponent(prop)}?since=${since}`);
  } catch (err) { toast(err.message); return; }
  const points = data.points.filter((p) => typeof p.value === "number");
  const text = (x, y, s) => { const n = document.createElementNS(svg.namespaceURI, "text"); n.setAttribute("x", x); n.setAttribute("y", y); n.setAttribute("font-size", 11); n.textContent = s; svg.append(n); };
  if (points.length < 1) { text(20, 120, t("no_history")); return; }
  const xs = points.map((p) => p.time), ys = points.map((p) => p.value);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y0 = Math.min(...ys), y1 = Math.max(...ys, y0 + 1e-9);
  const px = (x) => 40 + (x - x0) / (x1 - x0) * 550, py = (y) => 220 - (y - y0) / ((y1 - y0) || 1) * 200;
  const path = document.createElementNS(svg.namespaceURI, "polyline");
  path.setAttribute("points", points.map((p) => `${px(p.time)},${py(p.value)}`).join(" "));
  path.setAttribute("fill", "none"); path.setAttribute("stroke", "#c8553d"); path.setAttribute("stroke-width", 2);
  svg.append(path);
  text(2, 20, fmt(y1, spec)); text(2, 222, fmt(y0, spec));
}

// ---- automations ----

async function loadRules() {
  const root = $("#tab-rules");
  root.replaceChildren();
  const form = el("form", { class: "card row" },
    el("input", { name: "text", placeholder: t("new_rule") }), el("button", { type: "submit" }, t("create_rule")));
  form.onsubmit = async (ev) => { ev.preventDefault(); const text = ev.target.text.value.trim(); if (!text) return; showTab("copilot"); await ask(text); };
  root.append(form);
  let rules = [];
  try { rules = await api("/api/rules"); } catch (err) { root.append(el("p", { class: "error" }, err.message)); return; }
  if (!rules.length) root.append(el("p", { class: "muted" }, t("no_rules")));
  for (const rule of rules) {
    const traces = el("div", {});
    const toggle = el("button", { type: "button", onclick: async () => {
      try { await api(`/api/rules/${encodeURIComponent(rule.id)}/${rule.enabled ? "disable" : "enable"}`, { method: "POST" }); loadRules(); } catch (err) { toast(err.message); }
    } }, rule.enabled ? t("disable") : t("enable"));
    const details = el("details", { class: "card", "data-rule": rule.id },
      el("summary", {}, `${rule.name || rule.id} `, el("span", { class: `pill ${rule.enabled ? "on" : ""}` }, rule.enabled ? t("enabled") : t("disabled"))),
      toggle, el("h3", {}, t("traces")), traces);
    details.addEventListener("toggle", async () => {
      if (!details.open) return;
      try {
        const runs = await api(`/api/rules/${encodeURIComponent(rule.id)}/traces`);
        traces.replaceChildren(...(runs.length ? runs.map((r) => el("pre", { class: "trace" }, JSON.stringify(r, null, 1))) : [el("p", { class: "muted" }, t("no_runs"))]));
      } catch (err) { traces.textContent = err.message; }
    });
    root.append(details);
  }
}

// ---- copilot ----

async function onAsk(ev) {
  ev.preventDefault();
  const input = $("#ask-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await ask(text);
}

async function ask(text, confirm = false) {
  const chat = $("#chat");
  if (!confirm) chat.append(el("div", { class: "msg me" }, text));
  let answer;
  try {
    answer = await api("/api/copilot/ask", { method: "POST", body: { text, confirm } });
  } catch (err) {
    chat.append(el("div", { class: "msg hub error" }, err.message));
    return;
  }
  const meta = el("div", { class: "meta" }, `${answer.status}${answer.intent ? " · " + answer.intent : ""}`);
  const msg = el("div", { class: "msg hub" }, answer.reply || "", meta);
  if (answer.status === "clarify" && answer.needs_confirmation) {
    msg.append(el("div", {}, el("button", { type: "button", class: "primary", onclick: (e) => { e.target.disabled = true; ask(text, true); } }, t("confirm"))));
  }
  chat.append(msg);
  chat.scrollTop = chat.scrollHeight;
}

// ---- audit ----

async function loadAudit() {
  try {
    const rows = await api("/api/audit?limit=100");
    $("#audit").replaceChildren(...rows.map(auditItem));
  } catch (_) { /* guests and children see only their own */ }
}

function auditItem(r) {
  return el("li", { class: r.ok ? "" : "error" },
    `${new Date(r.time * 1000).toLocaleTimeString()} ${r.actor.kind}:${r.actor.id} → ${deviceName(r.device)} ${r.target} = ${JSON.stringify(r.value)} ${r.ok ? "" : "✗ " + r.message}`);
}

function prependAudit(r) {
  const list = $("#audit");
  list.prepend(auditItem(r));
  while (list.children.length > 200) list.lastChild.remove();
}

start();
