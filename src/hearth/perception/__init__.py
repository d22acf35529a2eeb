"""Cameras as sensors: sources, a motion gate, local detectors, an optional vision model and camera rules."""

from hearth.perception._camera import Camera, CameraStatus
from hearth.perception._detectors import Detection, Detectors, Findings
from hearth.perception._frames import Frame, FrameQueue, decode_jpeg, encode_jpeg
from hearth.perception._gate import GateResult, MotionGate, PrivacyMask
from hearth.perception._rules import (
    CameraRule,
    Confirm,
    RuleEvaluator,
    Verdict,
    load_camera_rules,
    parse_camera_rules,
)
from hearth.perception._service import PerceptionService, camera_rules_for
from hearth.perception._settings import CameraSettings, Region, camera_settings, settings_for
from hearth.perception._snapshots import CameraEvent, EventLog
from hearth.perception._sources import FolderSource, MjpegSource, SnapshotSource, Source, VideoSource, open_source
from hearth.perception._twin_camera import Scene, TwinCamera, compose
from hearth.perception._vlm import Answer, Asker, VisionClient, VLMConfig, VLMStats, parse_answer

__all__ = [
    "Answer",
    "Asker",
    "Camera",
    "CameraEvent",
    "CameraRule",
    "CameraSettings",
    "CameraStatus",
    "Confirm",
    "Detection",
    "Detectors",
    "EventLog",
    "Findings",
    "FolderSource",
    "Frame",
    "FrameQueue",
    "GateResult",
    "MjpegSource",
    "MotionGate",
    "PerceptionService",
    "PrivacyMask",
    "Region",
    "RuleEvaluator",
    "Scene",
    "SnapshotSource",
    "Source",
    "TwinCamera",
    "VLMConfig",
    "VLMStats",
    "Verdict",
    "VideoSource",
    "VisionClient",
    "camera_rules_for",
    "camera_settings",
    "compose",
    "decode_jpeg",
    "encode_jpeg",
    "load_camera_rules",
    "open_source",
    "parse_answer",
    "parse_camera_rules",
    "settings_for",
]
