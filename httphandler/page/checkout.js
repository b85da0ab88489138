// Kassa checkout: copy buttons, method chooser, countdown, and live status by polling
// the page's public status endpoint. No third-party code; works without it too.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) return;
  var live = document.getElementById("live");
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var f = document.getElementById(b.getAttribute("data-copy"));
      f.select();
      var done = function () { live.textContent = b.textContent + " ✓"; };
      if (navigator.clipboard) navigator.clipboard.writeText(f.value).then(done, function () { document.execCommand("copy"); done(); });
      else { document.execCommand("copy"); done(); }
    });
  });
  var cd = document.getElementById("countdown");
  // Counted from the server's clock at render time, so a payer's wrong clock does not matter.
  var expires = Date.now() + parseInt(root.getAttribute("data-left"), 10) * 1000;
  function tick() {
    if (!cd) return;
    var s = Math.max(0, Math.floor((expires - Date.now()) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    cd.textContent = (h > 0 ? h + ":" : "") + (m < 10 && h > 0 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
  }
  tick();
  setInterval(tick, 1000);
  var status = root.getAttribute("data-status");
  var success = root.getAttribute("data-success-url");
  if (status === "paid" && success) {
    setTimeout(function () { window.location.href = success; }, 3000);
    return;
  }
  function poll() {
    fetch(root.getAttribute("data-status-url"), { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (j) {
      var d = j.data || {};
      var key = d.status + "|" + d.amount_paid + "|" + d.amount_confirmed + "|" + d.confirmations;
      if (root.getAttribute("data-key") !== key) window.location.reload();
    }).catch(function () {}).then(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
