"""The public verification page (German/English), one self-contained HTML document.

Three ways in: paste a payload, upload a photo/screenshot (decoded on the server with zxing-cpp),
or scan with the device camera (the browser's BarcodeDetector where available; otherwise the page
says so and offers the upload). It shows a green/red verdict, each check's reason and the
credential's non-sensitive fields (type, issuer, department, validity, status), never its claims.
"""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nachweis prüfen / Verify a credential</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 1.5rem auto; padding: 0 1rem; color: #1b1b1b; }
 h1 { font-size: 1.5rem; } textarea { width: 100%; min-height: 7rem; font-family: monospace; }
 button { font-size: 1rem; padding: .5rem 1rem; margin: .3rem .3rem .3rem 0; cursor: pointer; }
 #verdict { font-size: 1.4rem; font-weight: bold; padding: 1rem; border-radius: .4rem; margin: 1rem 0; }
 .valid { background: #d7f5d7; color: #0a5a0a; border: 2px solid #0a7a0a; }
 .invalid { background: #fbdada; color: #8a0b0b; border: 2px solid #b00; }
 table { border-collapse: collapse; width: 100%; } td { padding: .3rem .4rem; border-bottom: 1px solid #ddd; vertical-align: top; }
 .passed { color: #0a7a0a; } .failed, .unavailable { color: #b00; } .skipped { color: #777; }
 video { width: 100%; max-height: 18rem; background: #000; } [hidden] { display: none; }
 .lang { float: right; }
</style>
</head>
<body>
<div class="lang"><button id="lang-de" type="button">Deutsch</button><button id="lang-en" type="button">English</button></div>
<h1 data-de="Nachweis der Stadt prüfen" data-en="Verify a city credential"></h1>
<p data-de="Fügen Sie den Inhalt des QR-Codes ein, laden Sie ein Foto oder einen Screenshot hoch oder scannen Sie mit der Kamera."
   data-en="Paste the QR code's content, upload a photo or screenshot, or scan with the camera."></p>
<label for="payload" data-de="QR-Inhalt (beginnt mit CRV1:)" data-en="QR content (starts with CRV1:)"></label>
<textarea id="payload" spellcheck="false" autocomplete="off"></textarea>
<div>
 <button id="check" type="button" data-de="Prüfen" data-en="Verify"></button>
 <label><span data-de="Bild hochladen:" data-en="Upload image:"></span> <input id="image" type="file" accept="image/*"></label>
 <button id="camera" type="button" data-de="Kamera" data-en="Camera"></button>
</div>
<p id="camera-note" hidden></p>
<video id="video" hidden playsinline muted></video>
<div id="verdict" hidden role="status"></div>
<table id="details" hidden><tbody></tbody></table>
<table id="checks" hidden><tbody></tbody></table>
<script>
"use strict";
let lang = (navigator.language || "de").startsWith("de") ? "de" : "en";
let last = null;
const T = {
  valid: {de: "GÜLTIG: Der Nachweis ist echt und gültig.", en: "VALID: the credential is genuine and valid."},
  invalid: {de: "UNGÜLTIG", en: "INVALID"},
  type: {de: "Art", en: "Type"}, issuer: {de: "Aussteller", en: "Issuer"},
  dept: {de: "Dienststelle", en: "Department"}, from: {de: "Gültig ab", en: "Valid from"},
  until: {de: "Gültig bis", en: "Valid until"}, state: {de: "Status", en: "Status"},
  nocam: {de: "Dieser Browser kann QR-Codes nicht mit der Kamera lesen; bitte ein Foto hochladen.",
          en: "This browser cannot read QR codes with the camera; please upload a photo."},
  error: {de: "Die Prüfung ist fehlgeschlagen", en: "Verification failed"},
  names: {format: ["Format", "Format"], issuer: ["Aussteller-Identität", "Issuer identity"],
    signature: ["Unterschrift", "Signature"], anchored: ["Im Register", "Anchored"],
    accreditation: ["Berechtigung", "Accreditation"], status: ["Widerruf/Sperre", "Revocation"],
    validity: ["Gültigkeitszeitraum", "Validity period"], holder: ["Inhaber", "Holder"]}
};
function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-de]").forEach(el => { el.textContent = el.dataset[lang]; });
  if (last) render(last);
}
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; }
function date(s) { return s ? new Date(s * 1000).toLocaleDateString(lang === "de" ? "de-DE" : "en-GB") : "-"; }
function render(result) {
  last = result;
  const verdict = document.getElementById("verdict");
  verdict.hidden = false;
  verdict.className = result.valid ? "valid" : "invalid";
  const failed = result.checks.find(c => c.status === "failed" || c.status === "unavailable");
  verdict.textContent = result.valid ? T.valid[lang]
    : T.invalid[lang] + ": " + (failed ? failed["reason_" + lang] : "");
  verdict.dataset.reason = result.reason;
  const checks = document.querySelector("#checks tbody");
  checks.replaceChildren();
  for (const c of result.checks) {
    const row = checks.insertRow(); row.dataset.check = c.name; row.dataset.status = c.status;
    const mark = {passed: "✔", failed: "✘", skipped: "-", unavailable: "?"}[c.status];
    cell(row, mark, c.status); cell(row, (T.names[c.name] || [c.name, c.name])[lang === "de" ? 0 : 1]);
    cell(row, c["reason_" + lang]);
  }
  document.getElementById("checks").hidden = false;
  const cred = result.credential || {};
  const details = document.querySelector("#details tbody");
  details.replaceChildren();
  if (cred.type) {
    for (const [key, value] of [["type", cred["type_name_" + lang] || cred.type], ["issuer", cred.issuer],
        ["dept", cred.issuer_department], ["from", date(cred.valid_from)], ["until", date(cred.valid_until)],
        ["state", cred.state]]) {
      if (value === undefined || value === null) continue;
      const row = details.insertRow(); cell(row, T[key][lang]); cell(row, String(value));
    }
  }
  document.getElementById("details").hidden = !cred.type;
}
async function send(url, options) {
  try {
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.status);
    if (body.payload) document.getElementById("payload").value = body.payload;
    render(body);
  } catch (err) {
    const verdict = document.getElementById("verdict");
    verdict.hidden = false; verdict.className = "invalid";
    verdict.textContent = T.error[lang] + ": " + err.message;
  }
}
// A verifier who asked the holder for a presentation (VP-JWT) over its challenge passes both in
// the address (?presentation=…&nonce=…&audience=…): the "holder" check then binds the holder.
const params = new URLSearchParams(location.search);
const binding = Object.fromEntries(["presentation", "nonce", "audience"]
  .filter(k => params.get(k)).map(k => [k, params.get(k)]));
function verifyText(text) {
  return send("verify", {method: "POST", headers: {"Content-Type": "application/json"},
                         body: JSON.stringify({payload: text.trim(), ...binding})});
}
document.getElementById("check").onclick = () => verifyText(document.getElementById("payload").value);
document.getElementById("image").onchange = (event) => {
  const file = event.target.files[0]; if (!file) return;
  const form = new FormData(); form.append("image", file);
  send("verify/image", {method: "POST", body: form});
};
document.getElementById("camera").onclick = async () => {
  const note = document.getElementById("camera-note");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    note.hidden = false; note.textContent = T.nocam[lang]; return;
  }
  const video = document.getElementById("video");
  const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
  video.srcObject = stream; video.hidden = false; await video.play();
  const detector = new BarcodeDetector({formats: ["qr_code"]});
  const scan = async () => {
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length) {
      stream.getTracks().forEach(t => t.stop()); video.hidden = true;
      document.getElementById("payload").value = codes[0].rawValue;
      verifyText(codes[0].rawValue);
    } else requestAnimationFrame(scan);
  };
  scan();
};
document.getElementById("lang-de").onclick = () => { lang = "de"; applyLang(); };
document.getElementById("lang-en").onclick = () => { lang = "en"; applyLang(); };
const fromUrl = params.get("payload");
applyLang();
if (fromUrl) { document.getElementById("payload").value = fromUrl; verifyText(fromUrl); }
</script>
</body>
</html>
"""
