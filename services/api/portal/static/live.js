// The inbox keeps itself current. The server's stream (/portal/inbox/stream) says only that
// what the page shows has changed; the page then fetches itself again, as a reload would, and
// puts the new sections in place of the old. Nothing from the stream is written into the page,
// and the fetched page is parsed by DOMParser (no script in it runs) from the server's escaped
// HTML, so a hostile string stays text. Without script the page is whole: a reload shows news.
(function () {
  "use strict";
  var marker = document.getElementById("live");
  var status = document.getElementById("live-status");
  var main = document.querySelector("main");
  if (!marker || !status || !main || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var source = new EventSource(marker.getAttribute("data-stream"));
  var busy = false;
  var again = false;

  function sectionsOf(root) {
    var found = {};
    root.querySelectorAll("section[aria-labelledby]").forEach(function (section) {
      found[section.getAttribute("aria-labelledby")] = section;
    });
    return found;
  }

  // Each section in place of the old one; a section someone is working in (a reason being
  // chosen) is left as it is until the next change.
  function swap(fresh) {
    var next = sectionsOf(fresh);
    var now = sectionsOf(main);
    var focused = document.activeElement;
    Object.keys(now).forEach(function (key) {
      if (next[key] && !now[key].contains(focused)) {
        now[key].replaceWith(document.adoptNode(next[key]));
      }
    });
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (answer.redirected) {
          // Sent to sign in: the session ended. The reload shows the sign-in page.
          source.close();
          window.location.reload();
          return;
        }
        if (answer.ok) {
          return answer.text().then(function (html) {
            swap(new DOMParser().parseFromString(html, "text/html"));
            status.textContent = status.getAttribute("data-updated");
            status.hidden = false;
          });
        }
        // Anything else (503 for a moment): the next change fetches again.
      })
      .catch(function () {})
      .finally(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  source.addEventListener("inbox", refresh);
  // The session ended (signed out, idle, disabled): the reload shows the sign-in page.
  source.addEventListener("ended", function () {
    source.close();
    window.location.reload();
  });
  marker.hidden = false;
})();
