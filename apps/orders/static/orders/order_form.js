// Order form: suggest the end time from the chosen item's expected duration and show
// how many volunteers it sends. The server does the same when the end is left blank,
// so the form works without this script.
(function () {
  "use strict";
  var service = document.getElementById("id_service");
  var start = document.getElementById("id_preferred_start");
  var end = document.getElementById("id_preferred_end");
  var count = document.getElementById("id_volunteers_needed");
  if (!service || !start || !end) return;
  var suggested = "";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function suggest() {
    var option = service.options[service.selectedIndex];
    var hours = option && parseFloat(option.getAttribute("data-hours"));
    if (count && option && option.getAttribute("data-volunteers") && !count.value) {
      count.placeholder = option.getAttribute("data-volunteers");
    }
    if (!hours || !start.value) return;
    if (end.value && end.value !== suggested) return; // the resident chose an end
    var at = new Date(start.value);
    if (isNaN(at.getTime())) return;
    at = new Date(at.getTime() + hours * 3600 * 1000);
    suggested = at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate()) +
      "T" + pad(at.getHours()) + ":" + pad(at.getMinutes());
    end.value = suggested;
  }
  service.addEventListener("change", suggest);
  start.addEventListener("change", suggest);
  suggest();
})();
