/* Dispatch board: fetch the rows every 30 s and swap them in, without a reload.
   Without JavaScript the page still works (and a <noscript> refresh reloads it). */
(function () {
  "use strict";
  var box = document.getElementById("board-rows");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-refresh-url");
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
  var stamp = document.getElementById("board-updated");

  function busy() {
    // Do not swap the rows under someone who is typing or choosing in them.
    var el = document.activeElement;
    return el && box.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }

  function refresh() {
    if (document.hidden || busy()) { return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        box.innerHTML = html;
        if (stamp) {
          var now = new Date();
          stamp.textContent = "（更新于 " + now.toLocaleTimeString("zh-CN", { hour12: false }) + "）";
        }
      })
      .catch(function () { /* keep the rows we have; try again next time */ });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();

// Cards for orders needing several volunteers: "需 2 人，已选 1" follows the ticks.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches(".pick-several input[type=checkbox]")) return;
  var form = box.closest(".pick-several");
  var out = form.querySelector("output.picked");
  if (out) out.textContent = form.querySelectorAll("input[type=checkbox]:checked").length;
});
