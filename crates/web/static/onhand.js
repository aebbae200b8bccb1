// Onhand's small page helpers. Everything works without them.
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  // Prefill time zone fields the person has not set with the browser's own zone.
  document.querySelectorAll("[data-browser-tz]").forEach(function (el) {
    if (!zone) return;
    if (el.tagName === "SELECT") {
      for (var i = 0; i < el.options.length; i++) {
        if (el.options[i].value === zone || el.options[i].text === zone) { el.selectedIndex = i; break; }
      }
    } else if (!el.value) {
      el.value = zone;
    }
  });
  // Sort menus apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit], input[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
})();
// The search box suggests listing titles as you type.
(function () {
  "use strict";
  var input = document.getElementById("site-q");
  var list = document.getElementById("site-q-suggest");
  if (!input || !list || !window.fetch) return;
  var timer = null, asked = "";
  function clear() { list.innerHTML = ""; list.hidden = true; input.setAttribute("aria-expanded", "false"); }
  function show(items) {
    list.innerHTML = "";
    items.forEach(function (title) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/search?q=" + encodeURIComponent(title);
      a.textContent = title;
      a.setAttribute("role", "option");
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value;
    if (q.trim().length < 2) { clear(); return; }
    timer = setTimeout(function () {
      asked = q;
      fetch("/api/v1/search/suggest?q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) { if (asked === input.value) show(body.items || []); })
        .catch(clear);
    }, 120);
  });
  input.addEventListener("keydown", function (e) { if (e.key === "Escape") clear(); });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) clear(); });
})();
// Slot pickers shown in a guessed zone move to the browser's own zone, once.
(function () {
  "use strict";
  var el = document.querySelector("select[data-browser-tz-redirect]");
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (!el || !zone || el.value === zone) return;
  for (var i = 0; i < el.options.length; i++) {
    if (el.options[i].value === zone) { el.selectedIndex = i; el.form.submit(); return; }
  }
})();
// The live channel: a provider's "Go online" and ringing, a buyer's place in line.
(function () {
  "use strict";
  function open(online, onEvent) {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/ws" + (online ? "?online=1" : ""));
    ws.onmessage = function (m) { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore garbage */ } };
    return ws;
  }
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(); var gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain); gain.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no sound available */ }
  }

  var button = document.getElementById("go-online");
  if (button) {
    var ws = null, countdown = null;
    var status = document.getElementById("online-status");
    var ring = document.getElementById("ring");
    var setOnline = function (on) {
      button.textContent = on ? button.dataset.onlineLabel : button.dataset.offlineLabel;
      status.textContent = on ? "You are online: buyers can ask for help now. Keep this page open." : "You are offline.";
      document.body.dataset.online = on ? "yes" : "no";
    };
    button.addEventListener("click", function () {
      if (ws) { ws.close(); ws = null; setOnline(false); return; }
      ws = open(true, function (ev) {
        if (ev.type === "ring") {
          document.getElementById("ring-text").textContent = ev.buyer + " asks for help now with “" + ev.title + "”.";
          document.getElementById("ring-accept").action = "/help-now/" + ev.request + "/accept";
          ring.hidden = false; beep();
          var left = ev.seconds;
          clearInterval(countdown);
          countdown = setInterval(function () {
            left -= 1;
            document.getElementById("ring-seconds").textContent = left > 0 ? left + " s to answer" : "";
            if (left <= 0) { clearInterval(countdown); ring.hidden = true; }
          }, 1000);
        } else if (ev.type === "ring_over") {
          ring.hidden = true;
        }
      });
      ws.onopen = function () { setOnline(true); };
      ws.onclose = function () { if (ws) { ws = null; setOnline(false); } };
    });
  }

  var waiting = document.querySelector("[data-help-request]");
  if (waiting && (waiting.dataset.state === "waiting" || waiting.dataset.state === "ringing")) {
    var id = Number(waiting.dataset.helpRequest);
    open(false, function (ev) {
      if (ev.type !== "help_now" || ev.request !== id) return;
      if (ev.state === "accepted") { location.href = "/bookings/" + ev.booking; return; }
      if (ev.state === "expired" || ev.state === "left") { location.reload(); return; }
      var place = document.getElementById("help-now-place");
      if (ev.state === "ringing") {
        document.getElementById("help-now-status").textContent = "Ringing now: the provider has a minute to answer.";
      } else if (place && ev.place) {
        place.textContent = ev.place;
      }
    });
  }
})();
// The bell: notifications arrive over the live channel; the count and a toast follow.
(function () {
  "use strict";
  var bell = document.querySelector("[data-live-notifications]");
  if (!bell) return;
  var count = document.getElementById("bell-count");
  var toast = document.getElementById("toast");
  var hideTimer = null;
  function connect(delay) {
    setTimeout(function () {
      var proto = location.protocol === "https:" ? "wss://" : "ws://";
      var ws = new WebSocket(proto + location.host + "/ws");
      ws.onmessage = function (m) {
        var ev;
        try { ev = JSON.parse(m.data); } catch (e) { return; }
        if (ev.type !== "notification") return;
        count.textContent = String(ev.unread);
        count.hidden = ev.unread <= 0;
        bell.setAttribute("aria-label", "Notifications, " + ev.unread + " unread");
        if (toast) {
          toast.textContent = "";
          var a = document.createElement("a");
          a.href = ev.link; a.textContent = ev.title;
          toast.appendChild(a);
          toast.hidden = false;
          clearTimeout(hideTimer);
          hideTimer = setTimeout(function () { toast.hidden = true; }, 8000);
        }
      };
      // Come back after a drop, waiting longer each time (at most a minute).
      ws.onclose = function () { connect(Math.min((delay || 1000) * 2, 60000)); };
    }, delay || 0);
  }
  connect(0);
})();
