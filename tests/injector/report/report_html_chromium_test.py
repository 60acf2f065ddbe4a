#!/usr/bin/env python3
"""report.html rendered by headless Chromium with the network off (issue 14).

Chromium runs in a fresh network namespace (`unshare -n`: only lo, down),
with a proxy that does not exist and every host name unresolvable, and logs
its network activity (--log-net-log). Checked on the screenshot: the page is
not blank, and along a scan line through each panel's fault bands the band
colour shows once per fault, where the SVG puts each band.
Checked on the net log: no URL was requested.

Controls in the same run, so no check passes vacuously: the sample with one
fault less shows one band, not two; and a page with an external image,
rendered the same way, does show its request in the net log.

Usage: report_html_chromium_test.py REPORT_SAMPLE_BIN
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from PIL import Image, ImageChops

CHROMIUM = "/usr/bin/chromium-headless-shell"
BAND = (0xF7, 0xD6, 0xE0)  # timeline_plots.h kFaultBand: used for nothing else
PANELS = 4                 # all datacenters, hz, sh, sz
SVG = "{http://www.w3.org/2000/svg}"
MAX_SECONDS = 30
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def screenshot(html, png, netlog):
    """Renders html to png; returns the seconds it took."""
    cmd = ["unshare", "-n", CHROMIUM, "--no-sandbox", "--headless", "--disable-gpu", "--hide-scrollbars",
           "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--log-net-log=" + netlog,
           "--user-data-dir=" + os.path.join(os.path.dirname(png), "profile-" + os.path.basename(png)),
           "--screenshot=" + png, "--window-size=1280,2000", "file://" + html]
    start = time.monotonic()
    # Its own session, so a hung Chromium is killed with all its processes
    # (/usr/bin/chromium-headless-shell is a shell script that does not exec).
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    took = time.monotonic() - start
    if p.returncode != 0 or not os.path.exists(png):
        print(out, err)
    check(p.returncode == 0 and os.path.exists(png), "chromium rendered %s (exit %d)" % (html, p.returncode))
    return took


def requested_urls(netlog):
    with open(netlog) as f:
        events = json.load(f).get("events", [])
    return {e["params"]["url"] for e in events if "url" in e.get("params", {})}


def band_mask(png):
    """The screenshot as rows of bytes, 255 where a pixel has the band's
    colour (within 3 per channel), else 0."""
    r, g, b = Image.open(png).convert("RGB").split()
    masks = [ch.point([255 if abs(v - t) <= 3 else 0 for v in range(256)]) for ch, t in zip((r, g, b), BAND)]
    mask = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])
    w, h = mask.size
    data = mask.tobytes()
    return [data[y * w:(y + 1) * w] for y in range(h)]


def runs(row, min_width=4, merge_gap=8):
    """Runs of band pixels in one row; gaps under merge_gap pixels (a guard's
    line, an antialiased edge) do not split a band."""
    spans = []
    for m in re.finditer(rb"\xff+", row):
        if spans and m.start() - spans[-1][1] <= merge_gap:
            spans[-1][1] = m.end()
        else:
            spans.append([m.start(), m.end()])
    return [s for s in spans if s[1] - s[0] >= min_width]


def svg_bands(html):
    """From the page's inline SVG: per panel, the top of its bands (SVG
    units) and the [x, x + width) of each band."""
    with open(html) as f:
        page = f.read()
    svg = ET.fromstring(page[page.index("<svg "):page.index("</svg>") + len("</svg>")])
    panels = {}
    for r in svg.iter(SVG + "rect"):
        if r.get("class") == "fault-band":
            x, w = float(r.get("x")), float(r.get("width"))
            panels.setdefault(r.get("data-panel"), (float(r.get("y")), []))[1].append((x, x + w))
    return list(panels.values())


def check_bands(png, html, faults, what):
    """Along a scan line a few rows into each panel's bands (above any data:
    the plots keep headroom), the band colour shows exactly once per fault.
    The SVG is drawn at its own size (1200 wide in a 1280 window), so its
    coordinates map to the screenshot's by an offset, found from the first
    row that shows the band colour."""
    rows = band_mask(png)
    first = next((y for y, row in enumerate(rows) if runs(row)), None)
    panels = svg_bands(html)
    check(first is not None and len(panels) == PANELS, "%s: bands on screen (first row %s), %d panels in the SVG"
          % (what, first, len(panels)))
    if first is None or not panels:
        return
    dy = first - panels[0][0]
    spans = runs(rows[first])
    dx = spans[0][0] - panels[0][1][0][0] if spans else 0
    for i, (top, bands) in enumerate(panels):
        y = round(top + dy + 4)
        found = [(a - dx, b - dx) for a, b in runs(rows[y])] if 0 <= y < len(rows) else []
        # 4 px: a guard's line at a band's edge may hide the band's last pixels.
        placed = len(found) == len(bands) and all(abs(a - x0) <= 4 and abs(b - x1) <= 4
                                                  for (a, b), (x0, x1) in zip(found, sorted(bands)))
        check(len(bands) == faults and placed, "%s, panel %d: %d band(s) on the scan line at row %d where the SVG "
              "puts them (%s vs %s)" % (what, i, faults, y, found, sorted(bands)))
        above = runs(rows[y - 8]) if y >= 8 else []
        check(not above, "%s, panel %d: no band above the panel's bands (row %d: %s)" % (what, i, y - 8, above))


def distinct_colours(png):
    return len(set(Image.open(png).convert("RGB").getdata()))


def render_variant(sample, tmp, name, report):
    src = os.path.join(tmp, name + ".json")
    with open(src, "w") as f:
        json.dump(report, f)
    subprocess.run([sample, "--render", src, os.path.join(tmp, name)], check=True, timeout=60)
    return os.path.join(tmp, name, "report.html")


def main():
    sample = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="report_html_chromium_test.") as tmp:
        subprocess.run([sample, os.path.join(tmp, "sample")], check=True, timeout=60)
        html = os.path.join(tmp, "sample", "report.html")
        png, netlog = os.path.join(tmp, "sample.png"), os.path.join(tmp, "sample.netlog.json")
        took = screenshot(html, png, netlog)
        print("chromium: %.2f s for the sample report" % took)
        check(took < MAX_SECONDS, "rendered in %.1f s (< %d s)" % (took, MAX_SECONDS))
        colours = distinct_colours(png)
        check(colours >= 50, "not blank: %d distinct colours" % colours)
        check_bands(png, html, 2, "sample")
        check(requested_urls(netlog) == set(), "no URL requested: %s" % requested_urls(netlog))

        with open(os.path.join(tmp, "sample", "report.json")) as f:
            report = json.load(f)
        del report["faults"][1]
        one = render_variant(sample, tmp, "one-fault", report)
        took = screenshot(one, os.path.join(tmp, "one.png"), os.path.join(tmp, "one.netlog.json"))
        print("chromium: %.2f s for the one-fault variant" % took)
        check_bands(os.path.join(tmp, "one.png"), one, 1, "control, one fault")

        bait = os.path.join(tmp, "bait.html")
        with open(bait, "w") as f:
            f.write('<html><body><img src="http://198.51.100.7/x.png"><p>control</p></body></html>')
        screenshot(bait, os.path.join(tmp, "bait.png"), os.path.join(tmp, "bait.netlog.json"))
        urls = requested_urls(os.path.join(tmp, "bait.netlog.json"))
        check("http://198.51.100.7/x.png" in urls, "control: an external image shows in the net log (%s)" % urls)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
