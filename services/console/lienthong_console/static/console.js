// The console's only script: theme toggle, keyboard shortcuts, and the live tail.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = localStorage.getItem("lienthong-theme");
  if (saved) root.setAttribute("data-theme", saved);
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.getAttribute("data-theme") && matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      localStorage.setItem("lienthong-theme", next);
    });
  }

  // g + letter goes to a page, "/" focuses the first filter, j/k move between table rows.
  var pages = { s: "/console/", l: "/console/lag", h: "/console/sla", d: "/console/dead-letters",
    a: "/console/health", c: "/console/charts", n: "/console/audit" };
  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (pendingG && pages[e.key]) { location.href = pages[e.key]; pendingG = false; return; }
    pendingG = e.key === "g";
    if (e.key === "/") {
      var first = document.querySelector("form.filters input");
      if (first) { e.preventDefault(); first.focus(); }
    }
    if (e.key === "j" || e.key === "k") {
      var rows = Array.prototype.slice.call(document.querySelectorAll("tr[tabindex]"));
      if (!rows.length) return;
      var at = rows.indexOf(document.activeElement);
      var next = e.key === "j" ? Math.min(rows.length - 1, at + 1) : Math.max(0, at - 1);
      rows[next].focus();
    }
    if (e.key === "Enter" && document.activeElement && document.activeElement.dataset.href) {
      location.href = document.activeElement.dataset.href;
    }
  });

  // Moments as the city reads them (Vietnamese time, as the server-rendered pages show them).
  var clock = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit",
    month: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  function localTime(iso) {
    var parts = {};
    clock.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.day + "/" + parts.month + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  var table = document.getElementById("stream");
  if (!table || !window.EventSource) return;
  var body = table.querySelector("tbody");
  var status = document.getElementById("stream-status");
  var source = new EventSource(table.dataset.source);
  // Not on "open": the response starts before the tail follows the topic, and an event
  // published in between would never be shown. The server sends "ready" once it follows.
  source.addEventListener("ready", function () {
    status.textContent = status.dataset.connected; status.dataset.state = "connected";
  });
  source.addEventListener("error", function () {
    status.textContent = status.dataset.disconnected; status.dataset.state = "disconnected";
  });
  source.addEventListener("dossier-event", function (message) {
    var line = JSON.parse(message.data);
    var row = document.createElement("tr");
    row.className = "new";
    row.tabIndex = 0;
    row.dataset.type = line.type;
    row.dataset.dossier = line.dossier;
    var links = table.dataset.links === "1";  // unit staff do not open dossier pages
    if (links) row.dataset.href = "/console/dossiers/" + encodeURIComponent(line.dossier);
    var cells = [localTime(line.time), null, line.type, line.unit || "",
      line.procedure || "", line.detail];
    cells.forEach(function (value, i) {
      var cell = document.createElement("td");
      if (i === 1 && links) {
        var link = document.createElement("a");
        link.href = row.dataset.href;
        link.textContent = line.code || line.dossier.slice(0, 8);
        cell.appendChild(link);
      } else if (i === 1) {
        cell.textContent = line.code || line.dossier.slice(0, 8);
      } else {
        cell.textContent = value;
      }
      row.appendChild(cell);
    });
    body.insertBefore(row, body.firstChild);
    while (body.children.length > 500) body.removeChild(body.lastChild);
    var empty = document.getElementById("stream-empty");
    if (empty) empty.remove();
  });
  source.addEventListener("expired", function () {
    source.close();  // the sign-in ended: go and sign in again, then come back here
    location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search);
  });
  source.addEventListener("dropped", function (message) {
    var note = document.getElementById("stream-dropped");
    note.hidden = false;
    note.querySelector("span").textContent = message.data;
  });
})();
