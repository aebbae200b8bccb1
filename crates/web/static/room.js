// The session room: device preview and choice, then a WebRTC connection to Onhand's media
// server (signaling protocol v1 over the room's WebSocket), remote videos, mic/camera
// toggles, screen sharing, chat, timer, connection quality and the cost meter.
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) return;
  var $ = function (id) { return document.getElementById(id); };
  var role = root.dataset.role;
  var perMinute = root.dataset.perMinute === "1";
  var symbol = root.dataset.currencySymbol || "";
  var exponent = Number(root.dataset.currencyExponent || 2);
  var status = $("room-status");
  var stream = null, pc = null, ws = null, screenSender = null, screenTrack = null;
  var joinedAt = null, queue = Promise.resolve(), left = false, refusal = "";

  function say(text, kind) {
    status.textContent = text;
    status.className = "banner" + (kind ? " " + kind : "");
    status.hidden = !text;
  }
  function money(minor) {
    return symbol + (minor / Math.pow(10, exponent)).toFixed(exponent);
  }
  function send(message) {
    message.v = 1;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(message));
  }

  // Devices: the preview uses the chosen microphone and camera.
  async function preview() {
    var mic = $("mic").value, cam = $("camera").value;
    var constraints = {
      audio: mic ? { deviceId: { exact: mic } } : true,
      video: cam ? { deviceId: { exact: cam } } : { width: 640, height: 360 }
    };
    try {
      var next = await navigator.mediaDevices.getUserMedia(constraints);
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = next;
      $("preview").srcObject = stream;
      $("local").srcObject = stream;
      if (pc) {
        pc.getSenders().forEach(function (s) {
          if (!s.track || s === screenSender) return;
          var t = stream.getTracks().find(function (x) { return x.kind === s.track.kind; });
          if (t) s.replaceTrack(t);
        });
      }
      say("");
    } catch (e) {
      say("Your camera or microphone could not be opened (" + e.name + "). Check the browser's permission and try again.", "error");
    }
    await listDevices();
  }
  async function listDevices() {
    var devices = await navigator.mediaDevices.enumerateDevices();
    [["mic", "audioinput"], ["camera", "videoinput"]].forEach(function (pair) {
      var select = $(pair[0]), current = select.value;
      select.textContent = "";
      devices.filter(function (d) { return d.kind === pair[1]; }).forEach(function (d, i) {
        var o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || (pair[1] === "audioinput" ? "Microphone " : "Camera ") + (i + 1);
        select.appendChild(o);
      });
      if (current) select.value = current;
    });
  }
  $("mic").addEventListener("change", preview);
  $("camera").addEventListener("change", preview);

  // Remote media: one element per track, shown once frames arrive.
  function attach(track) {
    var el;
    if (track.kind === "audio") {
      el = document.createElement("audio");
      el.autoplay = true;
    } else {
      el = document.createElement("video");
      el.autoplay = true; el.playsInline = true; el.muted = true;
      el.className = "remote waiting";
      el.addEventListener("loadeddata", function () { el.classList.remove("waiting"); });
      track.addEventListener("mute", function () { el.classList.add("waiting"); });
      track.addEventListener("unmute", function () { el.classList.remove("waiting"); });
    }
    el.srcObject = new MediaStream([track]);
    el.dataset.track = track.id;
    $("remotes").appendChild(el);
    track.addEventListener("ended", function () { el.remove(); });
  }

  async function join() {
    $("join").disabled = true;
    if (!stream) await preview();
    if (!stream) { $("join").disabled = false; return; }
    var servers = [];
    try { servers = JSON.parse(root.dataset.iceServers || "[]"); } catch (e) { servers = []; }
    pc = new RTCPeerConnection({ iceServers: servers, bundlePolicy: "max-bundle" });
    stream.getTracks().forEach(function (t) {
      pc.addTransceiver(t, { direction: "sendonly", streams: [stream] });
    });
    screenSender = pc.addTransceiver("video", { direction: "sendonly" }).sender;
    pc.ontrack = function (e) { attach(e.track); };
    pc.onconnectionstatechange = function () {
      root.dataset.state = pc.connectionState;
      if (pc.connectionState === "connected" && !joinedAt) joinedAt = Date.now();
      if (pc.connectionState === "failed") say("The connection failed. Leave and join again.", "error");
    };
    await pc.setLocalDescription(await pc.createOffer());
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    // Another node may host this room's media; the page then carries its address.
    ws = new WebSocket(root.dataset.signalUrl || proto + location.host + "/bookings/" + root.dataset.booking + "/room/ws");
    ws.onopen = function () { send({ type: "join", sdp: pc.localDescription.sdp }); };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      queue = queue.then(function () { return handle(msg); }).catch(function (e) {
        say("Something went wrong with the connection: " + e, "error");
      });
    };
    ws.onclose = function () {
      if (!left && root.dataset.state !== "ended") say((refusal ? refusal + ". " : "") + "Disconnected. Join again to reconnect.", "error");
      $("chat-text").disabled = true;
    };
    $("lobby").hidden = true;
    $("stage").hidden = false;
    $("chat-text").disabled = false;
    $("chat-form").querySelector("button").disabled = false;
    var cap = $("cap");
    if (cap && cap.value.trim()) {
      var minor = Math.round(parseFloat(cap.value.replace(/[^0-9.]/g, "")) * Math.pow(10, exponent));
      if (minor >= 0) ws.addEventListener("open", function () { send({ type: "cap", minor: minor }); });
    }
  }
  $("join").addEventListener("click", join);

  async function handle(msg) {
    if (msg.type === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
    } else if (msg.type === "offer") {
      await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      send({ type: "answer", sdp: pc.localDescription.sdp });
    } else if (msg.type === "chat") {
      var li = document.createElement("li");
      var who = document.createElement("strong");
      who.textContent = msg.from + ": ";
      li.appendChild(who);
      li.appendChild(document.createTextNode(msg.text));
      $("chat-log").appendChild(li);
      li.scrollIntoView({ block: "nearest" });
    } else if (msg.type === "joined") {
      $("participants").textContent = "In the room: " + msg.participants.map(function (p) {
        return p.name + " (" + p.role + (p.connected ? "" : ", connecting") + ")";
      }).join(", ");
    } else if (msg.type === "meter") {
      var meter = $("room-meter");
      if (meter) {
        meter.textContent = money(msg.cost_minor) + (msg.cap_minor != null ? " of " + money(msg.cap_minor) : "");
        meter.dataset.costMinor = msg.cost_minor;
        meter.dataset.seconds = msg.seconds;
      }
    } else if (msg.type === "ended") {
      root.dataset.state = "ended";
      say("The session has ended: " + msg.reason + ". ", "ok");
      var a = document.createElement("a");
      a.href = "/bookings/" + root.dataset.booking;
      a.textContent = "See the receipt";
      status.appendChild(a);
      stop();
    } else if (msg.type === "error") {
      refusal = msg.message;
      say(msg.message, "error");
    }
  }

  function stop() {
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    if (screenTrack) screenTrack.stop();
    if (ws) ws.close();
  }

  $("chat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("chat-text");
    if (!input.value.trim()) return;
    send({ type: "chat", text: input.value });
    input.value = "";
  });
  function toggle(kind, button, on, off) {
    button.addEventListener("click", function () {
      var track = stream && stream.getTracks().find(function (t) { return t.kind === kind; });
      if (!track) return;
      track.enabled = !track.enabled;
      button.textContent = track.enabled ? on : off;
      button.setAttribute("aria-pressed", String(track.enabled));
    });
  }
  toggle("audio", $("toggle-mic"), "Mic on", "Mic off");
  toggle("video", $("toggle-camera"), "Camera on", "Camera off");
  $("share-screen").addEventListener("click", async function () {
    var button = this;
    if (screenTrack) {
      screenTrack.stop(); screenTrack = null;
      await screenSender.replaceTrack(null);
      button.textContent = "Share screen"; button.setAttribute("aria-pressed", "false");
      return;
    }
    try {
      var display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      screenTrack = display.getVideoTracks()[0];
      await screenSender.replaceTrack(screenTrack);
      button.textContent = "Stop sharing"; button.setAttribute("aria-pressed", "true");
      screenTrack.addEventListener("ended", function () {
        screenTrack = null; screenSender.replaceTrack(null);
        button.textContent = "Share screen"; button.setAttribute("aria-pressed", "false");
      });
    } catch (e) { say("Screen sharing was not started.", ""); }
  });
  $("leave").addEventListener("click", function () {
    left = true;
    send({ type: "leave" });
    stop();
    say("You left the session. ", "");
    var again = document.createElement("a");
    again.href = location.pathname;
    again.textContent = "Join again";
    status.appendChild(again);
    root.dataset.state = "left";
  });
  var end = $("end");
  if (end) end.addEventListener("click", function () {
    if (window.confirm("End the session for everyone?")) send({ type: "end" });
  });

  // Once a second: the timer, decoded frames (for the quality line and tests), quality.
  setInterval(async function () {
    if (joinedAt) {
      var s = Math.floor((Date.now() - joinedAt) / 1000);
      $("room-timer").textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }
    if (!pc || pc.connectionState === "closed") return;
    var frames = 0, videos = 0, lost = 0, received = 0, rtt = null;
    var pairs = {}, locals = {}, selected = null;
    (await pc.getStats()).forEach(function (r) {
      if (r.type === "inbound-rtp") {
        if (r.kind === "video") {
          frames += r.framesDecoded || 0;
          if (r.framesDecoded > 0) videos += 1;
        }
        lost += r.packetsLost || 0; received += r.packetsReceived || 0;
      }
      if (r.type === "candidate-pair") {
        pairs[r.id] = r;
        if (r.nominated && r.currentRoundTripTime != null) rtt = r.currentRoundTripTime;
      }
      if (r.type === "local-candidate") locals[r.id] = r;
      if (r.type === "transport" && r.selectedCandidatePairId) selected = r.selectedCandidatePairId;
    });
    // What reaches the page: decoded frames and video streams (camera, screen), and the
    // transport the media took (udp, or tcp where UDP is blocked), for people and tests.
    root.dataset.framesDecoded = String(frames);
    root.dataset.videoStreams = String(videos);
    var pair = selected && pairs[selected], local = pair && locals[pair.localCandidateId];
    if (local) root.dataset.transport = local.relayProtocol ? "relay-" + local.relayProtocol : local.protocol;
    var loss = received + lost > 0 ? lost / (received + lost) : 0;
    var q = $("room-quality");
    q.textContent = rtt == null ? "connecting" : (loss < 0.02 && rtt < 0.3 ? "good" : loss < 0.08 && rtt < 0.6 ? "fair" : "poor") + " connection" +
      (root.dataset.transport && root.dataset.transport !== "udp" ? " (over " + root.dataset.transport.toUpperCase() + ")" : "");
    q.dataset.quality = q.textContent;
  }, 1000);

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) preview();
  else say("This browser cannot send video.", "error");
  window.addEventListener("pagehide", function () { if (!left) send({ type: "leave" }); });
})();
