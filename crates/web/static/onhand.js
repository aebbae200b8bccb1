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
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
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
