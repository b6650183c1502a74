#!/usr/bin/python3
"""Opens a cfclip-batch report.html from file:// in headless Chromium (selenium + Debian's
chromium-driver), for the tests: fails on any console error, on a missing section, or when a
click on a heading of the sample table does not sort it; saves a screenshot of what a reader
sees first.

usage: report-check.py REPORT_HTML SCREENSHOT_PNG
"""
import sys
import time

from selenium.webdriver.common.by import By

import headless_chromium


def main():
    page, shot = sys.argv[1:3]
    driver = headless_chromium.start()
    try:
        t0 = time.time()
        driver.get("file://" + page)
        print("loaded in %.2f s" % (time.time() - t0))
        for section in ("summary", "paired", "grids", "histograms", "extremes", "samples", "timings"):
            driver.find_element(By.ID, section)
        images = driver.find_elements(By.CSS_SELECTOR, "img")
        broken = [i for i in images if not driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)]
        if broken:
            raise SystemExit("%d of %d images did not load" % (len(broken), len(images)))
        driver.save_screenshot(shot)
        # sort the sample table by its second column, twice (ascending, then descending)
        header = driver.find_elements(By.CSS_SELECTOR, "#sample-table th.sort")[1]
        for expected in ("asc", "desc"):
            header.click()
            values = [float(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "#sample-table tbody tr td:nth-child(2)") if td.text]
            if values != sorted(values, reverse=(expected == "desc")):
                raise SystemExit("the sample table did not sort %s: %s" % (expected, values[:8]))
        errors = headless_chromium.console_errors(driver)
        if errors:
            raise SystemExit("console errors: %s" % errors)
        print("report ok: %d images, sections present, table sorts" % len(images))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
