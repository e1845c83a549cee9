"""CodeBlock: escaped code with a Copy button that writes to the browser's clipboard.

The kernel cannot reach the user's clipboard, so the button is a tiny anywidget (already a
dependency through itables): its JavaScript, inline below, copies ``text`` with
``navigator.clipboard`` (127.0.0.1 and https are secure contexts) and falls back to a hidden
textarea and ``execCommand("copy")``. It works offline in JupyterLab and Voila. Each copy
increments ``copies`` so tests (and the curious) can see it happened.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from .common import pre

__all__ = ["CodeBlock", "CopyButton"]

_ESM = """
function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "jupyter-button widget-button vw-copy-button";
  const label = () => { button.textContent = model.get("label"); };
  label();
  button.title = model.get("hint");
  button.setAttribute("aria-label", model.get("hint"));
  model.on("change:label", label);
  button.addEventListener("click", () => {
    copyText(model.get("text")).then(() => {
      model.set("copies", model.get("copies") + 1);
      model.save_changes();
      button.textContent = "Copied";
    }, () => { button.textContent = "Select the text and press Ctrl+C"; });
    setTimeout(label, 1500);
  });
  el.appendChild(button);
}
export default { render };
"""


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the clipboard in the browser (``label`` and ``hint`` describe it)."""

    _esm = _ESM
    text = traitlets.Unicode("", help="What the button copies").tag(sync=True)
    label = traitlets.Unicode("Copy", help="The button's caption").tag(sync=True)
    hint = traitlets.Unicode("Copy the code to the clipboard", help="Tooltip and accessible name").tag(sync=True)
    copies = traitlets.Int(0, help="How many times the browser copied the text").tag(sync=True)


class CodeBlock(widgets.VBox):
    """Escaped, wrapped code in the theme's code font with a Copy button above it.

    ``set_code(text)`` shows new code (an empty text shows ``placeholder`` and hides the button).
    """

    def __init__(self, description: str = "code", **kwargs: Any):
        self.description = description
        self.copy_button = CopyButton(hint=f"Copy the {description} to the clipboard")
        self.code = widgets.HTML()
        self.code.add_class("vw-code-block")
        super().__init__(children=[self.copy_button, self.code], **kwargs)

    @property
    def text(self) -> str:
        return self.copy_button.text

    def set_code(self, text: str, placeholder: str = "") -> None:
        """Show ``text`` (escaped); with no text, show ``placeholder`` (HTML) and hide the button."""
        self.copy_button.text = text
        self.copy_button.layout.display = "" if text else "none"
        self.code.value = pre(text) if text else placeholder
