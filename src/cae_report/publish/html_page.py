"""The last steps of the HTML page, the same for both engines: plotly.js, then the
Content-Security-Policy.

* plotly.js (4.6 MB, from the installed plotly package) is inserted once, after the engine
  has written the page, in place of a placeholder script of the head include: given to
  pandoc's ``--embed-resources``, a script that size makes pandoc use gigabytes of memory.
  The placeholder is not empty: pandoc 3.6, which Quarto 1.7 bundles, drops the closing tag
  of an empty ``<script>`` when it embeds resources (pandoc issue #10862).
* The page then gets a Content-Security-Policy (a ``<meta http-equiv>`` before any script)
  that lists the SHA-256 of each of its own scripts: they run, while an inline event
  handler (``<img onerror=…>``), a ``javascript:`` URL or a script added to the page by
  anything else does not, and nothing is loaded from the network. A ``<script src="data:…">``
  (how pandoc embeds a local script) is first turned into an inline script, so that it
  can be hashed too.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from cae_report.publish.assemble import RenderError

PLOTLY_LOCALE_FR: dict[str, Any] = {
    "moduleType": "locale",
    "name": "fr",
    # The messages plotly.js shows (mode bar tooltips, notices), in French. Number
    # separators are not set here: each chart's layout.separators carries them.
    "dictionary": {
        "Autoscale": "Échelle automatique",
        "Box Select": "Sélection rectangulaire",
        "Compare data on hover": "Comparer les données au survol",
        "Double-click on legend to isolate one trace": (
            "Double-cliquer sur la légende pour isoler une série"
        ),
        "Double-click to zoom back out": "Double-cliquer pour revenir à la vue d'ensemble",
        "Download plot": "Télécharger le graphique",
        "Download plot as a PNG": "Télécharger le graphique en PNG",
        "Download plot as JSON": "Télécharger le graphique en JSON",
        "Image download succeeded": "Image téléchargée",
        "JSON download succeeded": "Fichier JSON téléchargé",
        "Lasso Select": "Sélection au lasso",
        "Pan": "Déplacer",
        "Preparing image - this may take a few seconds": (
            "Préparation de l'image, quelques secondes…"
        ),
        "Reset": "Réinitialiser",
        "Reset axes": "Réinitialiser les axes",
        "Reset view": "Réinitialiser la vue",
        "Reset views": "Réinitialiser les vues",
        "Share chart...": "Partager le graphique…",
        "Show closest data on hover": "Afficher la donnée la plus proche au survol",
        "Sorry, there was a problem downloading your image!": (
            "Désolé, le téléchargement de l'image a échoué."
        ),
        "Sorry, there was a problem downloading your JSON file!": (
            "Désolé, le téléchargement du fichier JSON a échoué."
        ),
        "Toggle Spike Lines": "Afficher ou masquer les lignes de repère",
        "Toggle show closest data on hover": "Afficher ou non la donnée la plus proche",
        "Zoom": "Zoomer",
        "Zoom in": "Zoom avant",
        "Zoom out": "Zoom arrière",
    },
    "format": {
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": (
            "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
        ).split(),
        "shortMonths": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
        "date": "%d/%m/%Y",
    },
}
"""plotly.js locale ``fr``, registered once after plotly.js; the charts ask for it with
``config.locale`` (:data:`cae_report.report.mime.PLOTLY_CONFIG`)."""

PLOTLY_PLACEHOLDER = (
    '<script type="text/javascript" id="cae-plotlyjs">/* plotly.js, inserted after rendering */'
    "</script>"
)

CSP_DIRECTIVES = (
    "default-src 'none'",
    "script-src {hashes}",
    # plotly.js adds <style> elements and style attributes as it draws
    "style-src 'unsafe-inline'",
    # embedded images, and plotly's "download as PNG" (a canvas turned into an image)
    "img-src data: blob:",
    "font-src data:",
    "connect-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)
CSP_META = '<meta http-equiv="Content-Security-Policy" content="{policy}" />'

# A script's text runs to the first ``</script>``: written as runs of anything but ``<``, so
# that the 4.6 MB of plotly.js are scanned once rather than tried at every character (as the
# lazy ``.*?`` does: 6 times slower on the report).
_SCRIPT = re.compile(r"<script\b([^>]*)>([^<]*(?:<(?!/script\s*>)[^<]*)*)</script\s*>", re.I)
_SRC = re.compile(r"""\ssrc\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_CHARSET = re.compile(r"<meta\s+charset=[\"']?utf-8[\"']?\s*/?>", re.I)


def plotly_header(path: Path) -> Path:
    """Write the head include for plotly.js: a placeholder, then the French locale.

    Inserted once in the page; every chart's ``text/html`` only calls ``Plotly.newPlot``.
    """
    locale = json.dumps(PLOTLY_LOCALE_FR, ensure_ascii=True, sort_keys=True)
    path.write_text(
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>\n'
        f"{PLOTLY_PLACEHOLDER}\n"
        f'<script type="text/javascript">Plotly.register({locale});</script>\n',
        encoding="utf-8",
    )
    return path


def plotlyjs() -> str:
    """The plotly.js bundled with the plotly package (what ``plotly.offline.get_plotlyjs``
    returns), read without importing plotly (a tenth of a second in the build's process)."""
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        bundle = Path(folder) / "package_data" / "plotly.min.js"
        if bundle.is_file():
            return bundle.read_bytes().decode("utf-8")  # as read by pkgutil: no newline changes
    raise RenderError("plotly.js", f"plotly.min.js not found in the plotly package ({folders})")


def insert_plotlyjs(page: str, name: str) -> str:
    """``page`` with plotly.js in place of the placeholder, which must be there once."""
    script = plotlyjs()
    if "</script" in script.lower():
        raise RenderError("plotly.js", "plotly.js contains a closing script tag")
    if page.count(PLOTLY_PLACEHOLDER) != 1:
        raise RenderError(
            "plotly.js",
            f"{name}: plotly.js placeholder found {page.count(PLOTLY_PLACEHOLDER)} times, "
            "expected once (did the engine drop or repeat the head include?)",
        )
    start = PLOTLY_PLACEHOLDER.index(">") + 1
    filled = PLOTLY_PLACEHOLDER[:start] + script + "</script>"
    return page.replace(PLOTLY_PLACEHOLDER, filled)


def _inline_data_script(match: re.Match[str]) -> str:
    attributes, body = match.group(1), match.group(2)
    src = _SRC.search(attributes)
    if not src or not src.group(2).startswith("data:"):
        return match.group(0)
    header, _, payload = src.group(2).partition(",")
    data = base64.b64decode(payload) if header.endswith(";base64") else unquote_to_bytes(payload)
    text = data.decode("utf-8")
    if "</script" in text.lower() or body.strip():
        return match.group(0)
    return f"<script{_SRC.sub('', attributes)}>{text}</script>"


def script_hashes(page: str) -> list[str]:
    """CSP sources for the page's inline scripts: ``'sha256-…'`` of each one's text."""
    hashes: list[str] = []
    for match in _SCRIPT.finditer(page):
        if _SRC.search(match.group(1)):
            continue
        digest = hashlib.sha256(match.group(2).encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def content_security_policy(page: str) -> str:
    hashes = " ".join(script_hashes(page)) or "'none'"
    return "; ".join(d.format(hashes=hashes) for d in CSP_DIRECTIVES)


def add_csp(page: str, name: str) -> str:
    """``page`` with its data-URI scripts inlined and the policy before its first script."""
    if "Content-Security-Policy" in page:
        raise RenderError("content security policy", f"{name} already has a policy")
    page = _SCRIPT.sub(_inline_data_script, page)
    meta = CSP_META.format(policy=content_security_policy(page))
    charset = _CHARSET.search(page)
    if charset is None or charset.start() > page.find("<script"):
        raise RenderError(
            "content security policy", f"{name}: no <meta charset> before the first script"
        )
    return page[: charset.end()] + "\n" + meta + page[charset.end() :]


def finish(html: Path) -> Path:
    """plotly.js, then the policy: the last writes of the page, for both engines."""
    page = html.read_text(encoding="utf-8")
    page = add_csp(insert_plotlyjs(page, html.name), html.name)
    html.write_text(page, encoding="utf-8")
    return html
