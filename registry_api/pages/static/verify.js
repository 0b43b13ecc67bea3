"use strict";
// The verification page: sends a payload (pasted, read from an uploaded image on the server, or
// scanned by the camera) to the API's /verify and shows the verdict and each check. Its words in
// both languages come from the page (#texts, rendered from registry_api/pages/verification.py).

const TEXTS = JSON.parse(document.getElementById("texts").textContent);
let lang = document.documentElement.lang;
let last = null;

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[lang][key] ?? key;

function applyLang(chosen) {
  lang = chosen;
  document.documentElement.lang = lang;
  document.title = t("title");
  document.querySelectorAll("[data-text]").forEach((el) => { el.textContent = t(el.dataset.text); });
  document.querySelectorAll("[data-lang]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  });
  const url = new URL(location.href);
  url.searchParams.set("lang", lang);
  history.replaceState(null, "", url);
  if (last) render(last);
}

function cell(row, text, { className, header } = {}) {
  const el = document.createElement(header ? "th" : "td");
  if (header) el.scope = "row";
  el.textContent = text;
  if (className) el.className = className;
  row.append(el);
}

function date(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleDateString(lang === "de" ? "de-DE" : "en-GB") : "-";
}

function showVerdict(kind, text, reason, mode) {
  const verdict = $("verdict");
  verdict.hidden = false;
  verdict.className = kind;
  verdict.textContent = text;
  verdict.dataset.reason = reason;
  $("mode").hidden = !mode;
  $("mode").textContent = mode || "";
}

// Three outcomes: valid, invalid, unconfirmed (cannot be confirmed offline yet: amber). Older
// answers without `outcome` are read from `valid`.
function render(result) {
  last = result;
  const outcome = result.outcome || (result.valid ? "valid" : "invalid");
  const failed = result.checks.find((c) => c.status === "failed" || c.status === "unavailable");
  const pending = result.checks.find((c) => c.status === "unconfirmed");
  const text = outcome === "valid" ? t("valid")
    : outcome === "unconfirmed" ? t("unconfirmed") + ": " + (pending ? pending["reason_" + lang] : "")
    : t("invalid") + ": " + (failed ? failed["reason_" + lang] : "");
  const mode = result.mode && result.knowledge_block != null
    ? t("mode_" + result.mode) + " " + result.knowledge_block : "";
  showVerdict(outcome, text, result.reason, mode);
  const checks = document.querySelector("#checks tbody");
  checks.replaceChildren();
  for (const c of result.checks) {
    const row = checks.insertRow();
    row.dataset.check = c.name;
    row.dataset.status = c.status;
    cell(row, t("check_" + c.name), { header: true });
    cell(row, t("status_" + c.status), { className: c.status });
    cell(row, c["reason_" + lang]);
  }
  $("checks").hidden = false;
  const cred = result.credential || {};
  const details = document.querySelector("#details tbody");
  details.replaceChildren();
  if (cred.type) {
    for (const [key, value] of [["type", cred["type_name_" + lang] || cred.type], ["issuer", cred.issuer],
        ["dept", cred.issuer_department], ["from", date(cred.valid_from)], ["until", date(cred.valid_until)],
        ["state", cred.state && t("state_" + cred.state)]]) {
      if (value === undefined || value === null) continue;
      const row = details.insertRow();
      cell(row, t(key), { header: true });
      cell(row, String(value));
    }
  }
  $("details").hidden = !cred.type;
}

async function send(url, options) {
  try {
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.status);
    if (body.payload) $("payload").value = body.payload;
    render(body);
  } catch (err) {
    last = null;
    showVerdict("invalid", t("error") + ": " + err.message, "", "");
  }
}

// A verifier who asked the holder for a presentation (VP-JWT) over its challenge passes both in
// the address (?presentation=…&nonce=…&audience=…): the "holder" check then binds the holder.
const params = new URLSearchParams(location.search);
const binding = Object.fromEntries(["presentation", "nonce", "audience"]
  .filter((k) => params.get(k)).map((k) => [k, params.get(k)]));

function verifyText(text) {
  return send("verify", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ payload: text.trim(), ...binding }),
  });
}

async function scanWithCamera() {
  const note = $("camera-note");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    note.hidden = false; note.textContent = t("nocam"); return;
  }
  const video = $("video");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    note.hidden = false; note.textContent = t("camera_failed"); return;
  }
  video.srcObject = stream; video.hidden = false; await video.play();
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const scan = async () => {
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length) {
      stream.getTracks().forEach((track) => track.stop()); video.hidden = true;
      $("payload").value = codes[0].rawValue;
      verifyText(codes[0].rawValue);
    } else requestAnimationFrame(scan);
  };
  scan();
}

$("check").addEventListener("click", () => verifyText($("payload").value));
$("image").addEventListener("change", (event) => {
  const file = event.target.files[0]; if (!file) return;
  const form = new FormData(); form.append("image", file);
  send("verify/image", { method: "POST", body: form });
});
$("camera").addEventListener("click", scanWithCamera);
document.querySelectorAll("[data-lang]").forEach((button) => {
  button.addEventListener("click", () => applyLang(button.dataset.lang));
});
const fromUrl = params.get("payload");
if (fromUrl) { $("payload").value = fromUrl; verifyText(fromUrl); }
