// The check-in page: when the phone shares its location, send it with the form so the
// organisers see how far from the activity the check-in was. Without it (refused, no
// GPS, no JavaScript) the form still works.
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form || !navigator.geolocation) return;
  var status = document.getElementById("geo-status");
  navigator.geolocation.getCurrentPosition(
    function (position) {
      form.elements.latitude.value = position.coords.latitude.toFixed(6);
      form.elements.longitude.value = position.coords.longitude.toFixed(6);
      if (status) status.textContent = status.dataset.ok;
    },
    function () {
      if (status) status.textContent = status.dataset.none;
    },
    { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
  );
})();
