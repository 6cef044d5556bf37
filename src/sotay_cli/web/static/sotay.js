// sotay web: what the page adds when scripts run. Without it the form still works (plain POST).
// Dropping files onto the box, each file checked by its content as soon as it is chosen, the period
// fields that do not apply hidden, the size limit said before anything is sent.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var input = document.getElementById("tep");
  var drop = document.getElementById("drop");
  var list = document.getElementById("files");
  var kind = document.getElementById("ky");
  var submit = document.getElementById("submit");
  var busy = document.getElementById("busy");
  var maxBytes = Number(form.dataset.maxUpload || 0);
  var token = form.querySelector("input[name=csrf]").value;
  form.classList.add("js");

  function sizeText(bytes) {
    var mb = bytes / (1024 * 1024);
    return mb >= 1 ? mb.toFixed(1).replace(".", ",") + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function showPeriod() {
    var k = kind.value;
    form.querySelectorAll("[data-kind]").forEach(function (el) { el.hidden = el.dataset.kind !== k; });
  }

  function showSource() {
    var chosen = form.querySelector("input[name=nguon]:checked");
    var value = chosen ? chosen.value : "tep";
    form.querySelectorAll("[data-source]").forEach(function (el) {
      el.classList.toggle("off", el.dataset.source !== value);
    });
    input.disabled = value !== "tep";
  }

  function total() {
    var sum = 0;
    for (var i = 0; i < input.files.length; i++) sum += input.files[i].size;
    return sum;
  }

  function item(file) {
    var li = document.createElement("li");
    li.className = "wait";
    var name = document.createElement("span");
    name.className = "fname";
    name.textContent = file.name;
    var what = document.createElement("span");
    what.className = "fkind";
    what.textContent = sizeText(file.size) + " · đang nhận dạng…";
    li.appendChild(name);
    li.appendChild(what);
    return { li: li, what: what };
  }

  function check(file, row) {
    var data = new FormData();
    data.append("csrf", token);
    data.append("tep", file, file.name);
    fetch("/kiem-tra", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 413) return { error: "Tệp này vượt giới hạn " + form.dataset.maxUploadMb + " MB." };
        if (r.status === 403) return { error: "Trang đã cũ: tải lại trang rồi chọn lại tệp." };
        return r.json();
      })
      .then(function (answer) {
        if (answer.error) {
          row.li.className = "bad";
          row.what.className = "fmsg";
          row.what.textContent = answer.error;
        } else {
          row.li.className = "ok";
          var label = answer.kind_label.charAt(0).toUpperCase() + answer.kind_label.slice(1);
          row.what.textContent = label + " · " + answer.rows.toLocaleString("vi-VN") + " dòng";
        }
      })
      .catch(function () {
        row.li.className = "";
        row.what.textContent = sizeText(file.size);
      });
  }

  function listFiles() {
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files);
    files.forEach(function (file) {
      var row = item(file);
      list.appendChild(row.li);
      if (maxBytes && file.size > maxBytes) {
        row.li.className = "bad";
        row.what.className = "fmsg";
        row.what.textContent = "Tệp này vượt giới hạn " + form.dataset.maxUploadMb + " MB.";
      } else {
        check(file, row);
      }
    });
    var old = document.getElementById("error-tep");
    if (old) old.remove();
  }

  input.addEventListener("change", listFiles);
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    var all = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
    Array.prototype.forEach.call(e.dataTransfer.files, function (f) { all.items.add(f); });
    input.files = all.files;
    var tep = form.querySelector("input[name=nguon][value=tep]");
    if (tep) tep.checked = true;
    showSource();
    listFiles();
  });
  kind.addEventListener("change", showPeriod);
  form.querySelectorAll("input[name=nguon]").forEach(function (r) { r.addEventListener("change", showSource); });
  form.addEventListener("submit", function (e) {
    if (!input.disabled && maxBytes && total() > maxBytes) {
      e.preventDefault();
      alert("Các tệp đã chọn (" + sizeText(total()) + ") vượt giới hạn " + form.dataset.maxUploadMb +
            " MB. Bỏ bớt tệp, hoặc chạy lại với: sotay web --max-upload (số MB)");
      return;
    }
    submit.disabled = true;
    busy.hidden = false;
  });
  showPeriod();
  showSource();
})();
