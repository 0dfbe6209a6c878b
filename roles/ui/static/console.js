// The live console: follows the run's console over server-sent events (the ui relays the
// master's stream) and appends each event's lines as text, never as HTML.
(function () {
  'use strict';
  var pre = document.getElementById('console');
  if (!pre || !window.EventSource || !pre.dataset.events) return;
  var note = document.getElementById('console-note');
  var status = document.getElementById('run-status');
  var source = new EventSource(pre.dataset.events + '?offset=' + encodeURIComponent(pre.dataset.offset || '0'));
  // Strips ANSI escape sequences (colours are not rendered yet).
  var ansi = /\u001b\[[0-9;?]*[ -\/]*[@-~]/g;
  source.onmessage = function (event) {
    var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(event.data.replace(ansi, '') + '\n'));
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  source.addEventListener('end', function (event) {
    source.close();
    var ended = 'ended';
    try { ended = JSON.parse(event.data).status; } catch (e) { /* keep 'ended' */ }
    if (status) {
      status.textContent = ended.replace('_', ' ');
      status.className = 'status status-' + ended;
    }
    if (note) note.textContent = 'The run has ended (' + ended + '). Reload for its results.';
    var abort = document.querySelector('form.abort');
    if (abort) abort.remove();
  });
}());
