"""Renders a report.html in headless Chromium and describes what loaded.

usage: screenshot_report.py REPORT.html OUT.png
Prints JSON: the rendered DOM's counts of chart and heat-map SVGs and of
banner elements, and the screenshot's size, share of non-white pixels and
number of distinct colours (plots drawn, not an empty page).
"""
import json
import shutil
import subprocess
import sys

from PIL import Image

html, png = sys.argv[1], sys.argv[2]
chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if chromium is None:
    sys.exit("no chromium on PATH")
common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2400"]
url = "file://" + html
dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
subprocess.run(common + ["--screenshot=" + png, url], capture_output=True, timeout=120, check=True)
img = Image.open(png).convert("RGB")
pixels = list(img.getdata())
nonwhite = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
print(json.dumps({
    "charts": dom.count('<svg class="chart"'),
    "heatmaps": dom.count('<svg class="heatmap"'),
    "banner": dom.count('id="label-leak"'),
    "title": "varstar cross-validation report" in dom,
    "width": img.width,
    "height": img.height,
    "nonwhite": nonwhite,
    "colours": len(set(pixels)),
}))
