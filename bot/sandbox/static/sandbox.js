// The sandbox's page: what a person does goes to /sandbox/act, which sends the bot what
// Slack would; what the workspace holds comes back from /sandbox/view whenever
// /sandbox/wait says it changed. No framework, no build step.
"use strict";

(function () {
  const root = document.querySelector(".workspace");
  if (!root) return;
  const state = {
    person: root.dataset.person,
    channel: root.dataset.channel,
    thread: root.dataset.thread || "",
    version: Number(root.dataset.version || 0),
    modalKey: root.dataset.modalKey || "",
  };
  const notice = document.getElementById("notice");

  function say(text, isError) {
    notice.textContent = text || "";
    notice.classList.toggle("error", Boolean(isError));
  }

  async function act(what) {
    const body = Object.assign({ person: state.person, channel: state.channel }, what);
    let answer;
    try {
      answer = await fetch("/sandbox/act", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      say("The sandbox did not answer: is it still running?", true);
      return false;
    }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      say(data.error || "That did not work (" + answer.status + ").", true);
      return false;
    }
    say(data.said || "");
    return true;
  }

  function query() {
    const q = new URLSearchParams({ person: state.person, channel: state.channel });
    if (state.thread) q.set("thread", state.thread);
    return q.toString();
  }

  function nearBottom(el) {
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function scrollDown() {
    document.querySelectorAll(".messages").forEach((el) => {
      el.scrollTop = el.scrollHeight;
    });
  }

  const drawn = new WeakMap();  // what each region was last drawn from
  function redraw(element, html) {
    if (drawn.get(element) !== html) {
      element.innerHTML = html;
      drawn.set(element, html);
    }
  }

  async function refresh() {
    const answer = await fetch("/sandbox/view?" + query());
    if (!answer.ok) {
      const said = await answer.json().catch(() => ({}));
      say(said.error || "This channel cannot be shown any more.", true);
      return;
    }
    const data = await answer.json();
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.key : null;
    const list = document.querySelector("#channel .messages");
    const stick = nearBottom(list);
    const openMenus = Array.from(document.querySelectorAll("details[open]"))
      .map((d) => d.querySelector("[data-key]"))
      .filter(Boolean).map((el) => el.dataset.key);
    // Drawn again only when it changed: a click on a link (a file's download) is not
    // lost to a redraw that would have shown the same thing.
    redraw(document.getElementById("sidebar"), data.sidebar);
    redraw(document.getElementById("channel"), data.channel);
    const thread = document.getElementById("thread");
    if (state.thread && drawn.get(thread) !== data.thread) {
      // Drawn again only when it changed, keeping the reply being typed (and its focus):
      // a redraw for news elsewhere would take the box away between a keystroke and Enter.
      const typing = thread.querySelector("textarea");
      const draft = typing ? typing.value : "";
      const typingHere = typing !== null && document.activeElement === typing;
      redraw(thread, data.thread);
      const again = thread.querySelector("textarea");
      if (again) {
        again.value = draft;
        if (typingHere) again.focus();
      }
    }
    const header = document.querySelector("#channel .channel-header");
    document.getElementById("composer").classList.toggle(
      "hidden", !header || header.dataset.member !== "1");
    if (data.modal_key !== state.modalKey) {
      document.getElementById("modal").innerHTML = data.modal;
      if (data.modal_key) {
        document.querySelectorAll("#modal textarea.grow").forEach(grow);
        const invalid = document.querySelector('#modal [aria-invalid="true"]');
        const first = invalid || document.querySelector("#modal input, #modal textarea, #modal select");
        if (first) first.focus();
      } else {
        document.querySelector("#composer textarea").focus();
      }
      state.modalKey = data.modal_key;
    }
    openMenus.forEach((key) => {
      const el = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
      const menu = el && el.closest("details");
      if (menu) menu.open = true;
    });
    if (focused) {
      const el = document.querySelector('[data-key="' + CSS.escape(focused) + '"]');
      if (el) el.focus();
    }
    if (stick) scrollDown();
    state.version = data.version;
    root.dataset.version = String(data.version);
  }

  async function watch() {
    for (;;) {
      try {
        const answer = await fetch("/sandbox/wait?since=" + state.version);
        if (!answer.ok) throw new Error("the sandbox answered " + answer.status);
        const data = await answer.json();
        if (data.version > state.version) {
          // Taken as seen before drawing: a view that cannot be drawn is not asked again
          // until something changes.
          state.version = data.version;
          await refresh();
        }
      } catch (err) {
        await new Promise((done) => setTimeout(done, 1000));
      }
    }
  }

  // What a control's choice is, as the sandbox expects it.
  function chosen(el) {
    if (el.matches(".bk-choices")) {
      const picked = Array.from(el.querySelectorAll("input:checked")).map((i) => i.value);
      return el.dataset.choice === "radio_buttons" ? (picked[0] || null) : picked;
    }
    return el.value;
  }

  // A modal input's value, by the element type Slack knows it as.
  function inputValue(block) {
    const type = block.dataset.type;
    const id = "in-" + block.dataset.block;
    const el = document.getElementById(id);
    if (type === "checkboxes") {
      return Array.from(block.querySelectorAll("input:checked")).map((i) => i.value);
    }
    if (type === "radio_buttons") {
      const one = block.querySelector("input:checked");
      return one ? one.value : null;
    }
    if (!el) return null;
    if (el.multiple) return Array.from(el.selectedOptions).map((o) => o.value);
    if (type === "datetimepicker") {
      return el.value ? Math.floor(Date.parse(el.value + "Z") / 1000) : null;
    }
    return el.value === "" ? null : el.value;
  }

  document.addEventListener("click", async (event) => {
    const el = event.target.closest("[data-act]");
    if (!el || el.matches("select, input, form, .bk-choices, textarea")) return;
    const kind = el.dataset.act;
    if (el.tagName === "A" && kind !== "block") return;
    const menu = el.closest("details");
    if (menu) menu.open = false;
    if (kind === "block") {
      if (el.tagName !== "A") event.preventDefault();
      await act({ kind: "block", ts: el.dataset.ts, action_id: el.dataset.action,
                  value: el.dataset.value || null, reply: el.dataset.reply === "1" });
    } else if (["react", "shortcut", "dismiss"].includes(kind)) {
      await act({ kind: kind, ts: el.dataset.ts });
    } else if (kind === "join") {
      await act({ kind: "join" });
    } else if (kind === "alert") {
      await act({ kind: "alert" });
    } else if (kind === "later") {
      await act({ kind: "later", minutes: Number(el.dataset.minutes || 15) });
    } else if (kind === "close") {
      await act({ kind: "close", view_id: el.dataset.view });
    }
  });

  document.addEventListener("change", async (event) => {
    const target = event.target;
    const control = target.closest('[data-act="block"]');
    if (control && !control.matches("button, a")) {
      await act({ kind: "block", ts: control.dataset.ts, action_id: control.dataset.action,
                  value: chosen(control), reply: control.dataset.reply === "1" });
      return;
    }
    const block = target.closest("#modal [data-block][data-dispatch]");
    if (block) {
      const view = block.closest("[data-view]").dataset.view;
      await act({ kind: "view_action", view_id: view, block_id: block.dataset.block,
                  value: inputValue(block) });
    }
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.dataset.act === "submit") {
      const values = {};
      form.querySelectorAll("[data-block]").forEach((block) => {
        values[block.dataset.block] = inputValue(block);
      });
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      await act({ kind: "submit", view_id: form.dataset.view, values: values });
      if (button) button.disabled = false;
    } else if (form.dataset.act === "message") {
      const box = form.querySelector("textarea");
      const text = box.value;
      if (!text.trim()) return;
      box.value = "";
      const sent = await act({ kind: "message", text: text, thread: form.dataset.thread || null });
      if (!sent) box.value = text;
    }
  });

  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (box.matches && box.matches(".composer textarea") && event.key === "Enter" &&
        !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      box.form.requestSubmit();
    }
    if (event.key === "Escape" && state.modalKey) {
      const view = document.querySelector("#modal [data-view]");
      if (view) act({ kind: "close", view_id: view.dataset.view });
    }
  });

  // A menu opens upward when it has no room below: the last message's ⋯ menu would
  // otherwise open under the message box, where its items cannot be clicked.
  function placeMenu(menu) {
    const items = menu.querySelector(":scope > .menu");
    if (!items || !menu.open) return;
    items.classList.remove("up");
    const scroller = menu.closest(".messages, .modal-form");
    const frame = scroller ? scroller.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
    const bottom = Math.min(frame.bottom, window.innerHeight);
    const top = Math.max(frame.top, 0);
    const down = items.getBoundingClientRect();
    if (down.bottom <= bottom) return;
    items.classList.add("up");
    const up = items.getBoundingClientRect();
    if (up.top < top && bottom - down.top > up.bottom - top) items.classList.remove("up");
  }
  document.addEventListener("toggle", (event) => {
    if (event.target.matches && event.target.matches("details.message-menu, details.bk-overflow")) {
      placeMenu(event.target);
    }
  }, true);

  // A multi-line input grows with its text, as Slack's does (up to its CSS max-height).
  function grow(box) {
    if (box.scrollHeight > box.clientHeight) {
      box.style.height = (box.scrollHeight + box.offsetHeight - box.clientHeight) + "px";
    }
  }
  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("textarea.grow")) grow(event.target);
  });

  document.getElementById("person").addEventListener("change", (event) => {
    const q = new URLSearchParams({ person: event.target.value, channel: state.channel,
                                    switch: "1" });
    window.location.assign("/?" + q.toString());
  });

  scrollDown();
  document.querySelectorAll("#modal textarea.grow").forEach(grow);
  if (!state.modalKey) document.querySelector("#composer textarea").focus();
  watch();
})();
