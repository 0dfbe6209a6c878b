// The live console: follows the run's console over server-sent events (the ui relays the
// master's stream) and appends each event's lines as text, never as HTML.
(function () {
  'use strict';
  var pre = document.getElementById('console');
  if (!pre || !window.EventSource || !pre.dataset.events) return;
  var note = document.getElementById('console-note');
  var status = document.getElementById('run-status');
  var source = new EventSource(pre.dataset.events + '?offset=' + encodeURIComponent(pre.dataset.offset || '0'));
  // ANSI colours as the server renders them (console_html.cpp): SGR bold, the 16 foreground
  // colours and reset become spans; other escape sequences are dropped.
  var csi = /\u001b\[([0-9;?]*)[ -\/]*([@-~])/g;
  var style = { fg: 0, bold: false };
  function applySgr(parameters) {
    var codes = parameters === '' ? ['0'] : parameters.split(';');
    for (var i = 0; i < codes.length; i++) {
      var code = Number(codes[i]) || 0;
      if (code === 0) { style = { fg: 0, bold: false }; }
      else if (code === 1) { style.bold = true; }
      else if (code === 22) { style.bold = false; }
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) { style.fg = code; }
      else if (code === 39) { style.fg = 0; }
      else if (code === 38 || code === 48) { return; }
    }
  }
  function append(text) {
    if (text === '') return;
    if (style.fg === 0 && !style.bold) {
      pre.appendChild(document.createTextNode(text));
      return;
    }
    var span = document.createElement('span');
    var classes = [];
    if (style.fg) classes.push('ansi-' + style.fg);
    if (style.bold) classes.push('ansi-bold');
    span.className = classes.join(' ');
    span.textContent = text;
    pre.appendChild(span);
  }
  source.onmessage = function (event) {
    var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    var line = event.data + '\n';
    var last = 0;
    var match;
    csi.lastIndex = 0;
    while ((match = csi.exec(line)) !== null) {
      append(line.slice(last, match.index));
      if (match[2] === 'm') applySgr(match[1]);
      last = csi.lastIndex;
    }
    append(line.slice(last));
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
