// The staff screen: fetch a new check-in code every 30 seconds and swap the image in
// place (no page reload). Without JavaScript, a <noscript> refresh reloads the page.
(function () {
  "use strict";
  var image = document.getElementById("checkin-qr");
  if (!image || !window.fetch) return;
  var source = image.dataset.source;
  var seconds = parseInt(image.dataset.refresh, 10) || 30;
  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (code) {
        if (!code) return;
        image.src = code.png;
        image.dataset.url = code.url;
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, seconds * 1000);
})();
