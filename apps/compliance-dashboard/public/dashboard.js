// Live figures: the page's numbers follow /live (server-sent events). Without this script the
// page still shows the figures as they were when it was drawn.
(function () {
  'use strict';
  var status = document.getElementById('live-status');
  if (!status || !window.EventSource) return;
  var source = new EventSource(status.getAttribute('data-live-source'));
  source.addEventListener('figures', function (event) {
    JSON.parse(event.data).forEach(function (figure) {
      document
        .querySelectorAll('[data-live="' + CSS.escape(figure.key) + '"]')
        .forEach(function (element) {
          element.textContent = figure.text;
          if (figure.state) {
            element.setAttribute('data-state', figure.state);
            var row = element.closest('tr.system');
            if (row) row.setAttribute('data-state', figure.state);
          }
        });
    });
    document.body.setAttribute('data-live-updated', String(Date.now()));
  });
  source.addEventListener('session-ended', function () {
    source.close();
    status.textContent =
      'Your session has ended: live updates stopped. Reload the page to sign in again.';
  });
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED)
      status.textContent = 'Live updates stopped. Reload the page to resume them.';
  };
})();
