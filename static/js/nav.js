/* The top bar without inline scripts (the Content-Security-Policy forbids them): the
   navigation collapses behind its Menu button on small screens, and the drop-down menus
   (<details class="dropdown">) open one at a time and close on Escape, on a click elsewhere
   and when the focus leaves them. Without JavaScript every link stays visible.
   Copy buttons (<button class="copy" data-copy="...">) put their value on the clipboard. */
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    const links = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      links.classList.toggle("open", open);
    });
  }

  const menus = Array.from(document.querySelectorAll("details.dropdown"));
  for (const menu of menus) {
    menu.addEventListener("toggle", () => {
      if (menu.open) menus.forEach((other) => { if (other !== menu) other.open = false; });
    });
    menu.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    }
  });
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });

  // A table wider than its box scrolls inside it (small screens): keyboard users reach it
  // with Tab and scroll it with the arrow keys.
  const focusScrollable = () => {
    document.querySelectorAll("main table").forEach((table) => {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  };
  focusScrollable();
  window.addEventListener("resize", focusScrollable);
  document.body.addEventListener("htmx:afterSettle", focusScrollable);

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy[data-copy]");
    if (!button) return;
    const value = button.dataset.copy;
    const done = () => {
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, () => fallback(value) && done());
    } else if (fallback(value)) {
      done();
    }
  });
});

function fallback(value) {
  const area = document.createElement("textarea");
  area.value = value;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}
