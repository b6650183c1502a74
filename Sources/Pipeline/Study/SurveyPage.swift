import Checkpoints

/// The study's `index.html`: one self-contained page (no network, works from `file://`) that
/// walks a participant through every group, ranks the images for each task (click from best to
/// worst; click again to take a rank back), keeps its progress in the browser's local storage,
/// and exports the answers as JSON and CSV (downloads, and in the page as `#answers-json` and
/// `#answers-csv`). Group order and image order are shuffled per participant from a seed the
/// answers record (`?seed=N&participant=ID` fixes both), and every answer records the order
/// that participant saw.
enum SurveyPage {
    static func html(bundle: JSONValue) -> String {
        // the data sits in a script element: no "<" may close it early
        let data = bundle.serialized(sortedKeys: true).replacingOccurrences(of: "<", with: "\\u003c")
        return head + "<script type=\"application/json\" id=\"bundle-data\">" + data + "</script>\n<script>\n" + script + "</script>\n</body>\n</html>\n"
    }

    static let head = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Image study</title>
    <style>
    body { font: 16px/1.45 system-ui, sans-serif; margin: 0; color: #1d2329; background: #f6f7f9; }
    main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 40px; }
    h1 { font-size: 22px; margin: 8px 0 4px; }
    .bar { height: 8px; background: #dde2e8; border-radius: 4px; overflow: hidden; margin: 6px 0 14px; }
    .bar > div { height: 100%; background: #2f6fdf; }
    .target { font-size: 20px; margin: 6px 0 12px; }
    .target b { background: #fff3c4; padding: 1px 6px; border-radius: 4px; }
    .row { display: flex; gap: 14px; flex-wrap: wrap; align-items: flex-start; }
    figure { margin: 0; text-align: center; }
    figure img { width: 220px; height: auto; display: block; border-radius: 6px; }
    figcaption { font-size: 13px; color: #59636e; margin-top: 3px; }
    .task { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 10px 14px 14px; margin-top: 14px; }
    .task h2 { font-size: 17px; margin: 2px 0 2px; }
    .task p { margin: 0 0 8px; color: #3d4650; }
    button.pick { position: relative; border: 3px solid transparent; border-radius: 9px; padding: 0; background: none; cursor: pointer; }
    button.pick.ranked { border-color: #2f6fdf; }
    button.pick .rank { position: absolute; top: 6px; left: 6px; min-width: 26px; height: 26px; border-radius: 13px;
      background: #2f6fdf; color: #fff; font-weight: 700; line-height: 26px; display: none; }
    button.pick.ranked .rank { display: block; }
    .nav { display: flex; gap: 10px; margin-top: 16px; align-items: center; }
    .nav button, .start button { font-size: 16px; padding: 8px 18px; border-radius: 6px; border: 1px solid #2f6fdf; background: #2f6fdf; color: #fff; cursor: pointer; }
    .nav button.secondary, .start button.secondary { background: #fff; color: #2f6fdf; }
    button:disabled { opacity: .45; cursor: default; }
    .hint { color: #59636e; font-size: 14px; }
    pre { background: #fff; border: 1px solid #dde2e8; padding: 8px; max-height: 220px; overflow: auto; font-size: 12px; }
    </style>
    </head>
    <body>
    <main id="app"></main>

    """

    static let script = #"""
    "use strict";
    const B = JSON.parse(document.getElementById("bundle-data").textContent);
    const STORE = "cfclip-study:" + B.bundle;
    const app = document.getElementById("app");
    let S = null;
    try { S = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (e) { S = null; }

    function save() { try { localStorage.setItem(STORE, JSON.stringify(S)); } catch (e) {} }
    function mulberry32(a) {
      return function () { a |= 0; a = a + 0x6D2B79F5 | 0; let t = Math.imul(a ^ a >>> 15, 1 | a);
        t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
    }
    function shuffled(items, rnd) {
      const a = items.slice();
      for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; }
      return a;
    }
    function el(tag, attrs, ...children) {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) { if (k === "onclick") e.onclick = v; else e.setAttribute(k, v); }
      for (const c of children) e.append(c);
      return e;
    }
    function params() { return new URLSearchParams(location.search); }

    function begin(participant, seed) {
      const rnd = mulberry32(seed);
      const order = shuffled(B.groups.map((g, i) => i), rnd);
      const shown = {};
      for (const g of B.groups) shown[g.group] = shuffled(g.images.map(im => im.slot), rnd);
      const answers = {};
      for (const g of B.groups) { answers[g.group] = {}; for (const t of B.tasks) answers[g.group][t.id] = []; }
      S = { participant: participant, seed: seed, order: order, shown: shown, answers: answers, at: 0,
            started: new Date().toISOString(), finished: null };
      save(); render();
    }

    function complete(g) { return B.tasks.every(t => S.answers[g.group][t.id].length === g.images.length); }

    function render() {
      app.replaceChildren();
      if (!S) return renderStart();
      if (S.at >= B.groups.length) return renderDone();
      renderGroup(B.groups[S.order[S.at]]);
    }

    function renderStart() {
      const p = params();
      const input = el("input", { id: "participant", type: "text", value: p.get("participant") || "", placeholder: "your name or code" });
      const seed = p.has("seed") ? (Number(p.get("seed")) >>> 0) : (crypto.getRandomValues(new Uint32Array(1))[0] >>> 0);
      app.append(el("h1", {}, "Image study"),
        el("p", {}, "You will see " + B.groups.length + " groups of images. Each group shows a source image, a text, and "
          + "several edited versions of the source. Rank the edited images twice: once for " + B.tasks.map(t => t.title.toLowerCase()).join(", once for ") + "."),
        el("p", { class: "hint" }, "Click the images from best to worst; click an image again to take its rank back. Your progress is kept in this browser."),
        el("div", { class: "start" }, el("label", { for: "participant" }, "Participant: "), input, " ",
          el("button", { id: "start", onclick: () => begin(input.value.trim() || ("anonymous-" + seed), seed) }, "Start")));
    }

    function renderGroup(g) {
      const n = B.groups.length, done = S.at;
      app.append(el("h1", { "data-group": g.group }, "Group " + (S.at + 1) + " of " + n),
        el("div", { class: "bar" }, el("div", { style: "width:" + (100 * done / n).toFixed(1) + "%" })),
        el("div", { class: "target" }, "Target text: ", el("b", { id: "text" }, g.text)),
        el("div", { class: "row" }, el("figure", {}, el("img", { src: g.source, alt: "source image" }), el("figcaption", {}, "Source"))));
      const order = S.shown[g.group];
      for (const t of B.tasks) {
        const picks = S.answers[g.group][t.id];
        const row = el("div", { class: "row" });
        order.forEach((slot, i) => {
          const image = g.images.find(im => im.slot === slot);
          const r = picks.indexOf(slot);
          const b = el("button", { class: "pick" + (r >= 0 ? " ranked" : ""), "data-task": t.id, "data-slot": slot,
            "data-position": String(i + 1), onclick: () => pick(g, t.id, slot) },
            el("span", { class: "rank" }, r >= 0 ? String(r + 1) : ""),
            el("figure", {}, el("img", { src: image.path, alt: "image " + (i + 1) }), el("figcaption", {}, "Image " + (i + 1))));
          row.append(b);
        });
        app.append(el("section", { class: "task", "data-task": t.id }, el("h2", {}, t.title), el("p", {}, t.question + " Click from best (1) to worst."),
          row, el("div", { class: "nav" }, el("button", { class: "secondary", "data-clear": t.id, onclick: () => { S.answers[g.group][t.id] = []; save(); render(); } }, "Clear"))));
      }
      const next = el("button", { id: "next", onclick: () => { S.at += 1; if (S.at >= n) S.finished = new Date().toISOString(); save(); render(); } },
        S.at + 1 === n ? "Finish" : "Next");
      if (!complete(g)) next.disabled = true;
      const back = el("button", { id: "back", class: "secondary", onclick: () => { S.at -= 1; save(); render(); } }, "Back");
      if (S.at === 0) back.disabled = true;
      app.append(el("div", { class: "nav" }, back, next, el("span", { class: "hint" }, complete(g) ? "" : "Rank every image in both tasks to go on.")));
    }

    function pick(g, task, slot) {
      const picks = S.answers[g.group][task];
      const i = picks.indexOf(slot);
      if (i >= 0) picks.splice(i, 1); else picks.push(slot);
      save(); render();
    }

    function answers() {
      const groups = B.groups.map(g => {
        const out = { group: g.group, position: S.order.indexOf(B.groups.indexOf(g)) + 1, shown_order: S.shown[g.group] };
        for (const t of B.tasks) { const r = {}; S.answers[g.group][t.id].forEach((slot, i) => { r[slot] = i + 1; }); out[t.id] = r; }
        return out;
      });
      return { format: "cfclip-study-answers", version: 1, bundle: B.bundle, dataset: B.dataset, participant: S.participant,
               seed: S.seed, started: S.started, finished: S.finished, groups: groups };
    }

    function csv(a) {
      const q = s => /[",\n\r]/.test(String(s)) ? '"' + String(s).replace(/"/g, '""') + '"' : String(s);
      const lines = ["bundle,participant,seed,group,position,shown_order,slot," + B.tasks.map(t => t.id).join(",")];
      for (const g of a.groups) for (const slot of g.shown_order)
        lines.push([a.bundle, a.participant, a.seed, g.group, g.position, g.shown_order.join(" "), slot, ...B.tasks.map(t => g[t.id][slot])].map(q).join(","));
      return lines.join("\n") + "\n";
    }

    function download(name, text, type) {
      const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: type })), download: name });
      document.body.append(a); a.click(); a.remove();
    }

    function renderDone() {
      const a = answers(), json = JSON.stringify(a, null, 1), table = csv(a);
      const base = "answers-" + B.bundle + "-" + String(a.participant).replace(/[^A-Za-z0-9_-]/g, "_");
      app.append(el("h1", {}, "Thank you"),
        el("p", {}, "All " + B.groups.length + " groups are ranked. Please send the answers file to the study's organiser."),
        el("div", { class: "nav" },
          el("button", { id: "download-json", onclick: () => download(base + ".json", json, "application/json") }, "Download answers (JSON)"),
          el("button", { id: "download-csv", class: "secondary", onclick: () => download(base + ".csv", table, "text/csv") }, "Download answers (CSV)"),
          el("button", { id: "review", class: "secondary", onclick: () => { S.at = B.groups.length - 1; save(); render(); } }, "Back to the last group"),
          el("button", { id: "restart", class: "secondary", onclick: () => { if (confirm("Discard these answers and start again?")) { localStorage.removeItem(STORE); S = null; render(); } } }, "Start over")),
        el("pre", { id: "answers-json" }, json), el("pre", { id: "answers-csv" }, table));
    }

    render();

    """#
}
