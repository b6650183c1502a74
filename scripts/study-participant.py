#!/usr/bin/python3
"""A scripted study participant, for the tests: opens BUNDLE/index.html from file:// in headless
Chromium (selenium + Debian's chromium-driver), ranks the images of every group in the order of
the methods given for each task (it reads the answer key to know which image is which), reloads
the page once part-way to check the progress survives, and writes the answers the page exports
(read from its #answers-json element) to OUT. Fails on any console error of the page.

usage: study-participant.py BUNDLE KEY_JSON OUT PARTICIPANT SEED ACCURACY_ORDER REALISM_ORDER
(the orders are JSON lists of method names, best first)
"""
import json
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import headless_chromium


def shown_group(driver):
    """The group on the page, once its script has drawn it: after a reload, `refresh` returns at
    the load event and the group may come a moment later. A page back on its start screen lost
    the progress, and says so instead of a timeout."""
    found = WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-group], #start")))
    if found.get_attribute("id") == "start":
        raise SystemExit("after a reload the page shows its start screen: the progress was not kept")
    return found.get_attribute("data-group")


def main():
    bundle, key_path, out, participant, seed = sys.argv[1:6]
    prefs = {"accuracy": json.loads(sys.argv[6]), "realism": json.loads(sys.argv[7])}
    with open(key_path) as f:
        key = json.load(f)
    slots = {g["group"]: g["slots"] for g in key["groups"]}

    driver = headless_chromium.start()
    try:
        driver.get("file://%s/index.html?seed=%s&participant=%s" % (bundle, seed, participant))
        driver.find_element(By.ID, "start").click()
        n = len(slots)
        for i in range(n):
            group = shown_group(driver)
            for task, order in prefs.items():
                for slot in sorted(slots[group], key=lambda s: order.index(slots[group][s])):
                    driver.find_element(By.CSS_SELECTOR, 'button.pick[data-task="%s"][data-slot="%s"]' % (task, slot)).click()
            if i == 1:
                # resumable: a reload keeps the group and the ranks entered. Chromium hands a
                # setItem to its browser process asynchronously, and a reload at once can outrun it
                # (seen once on a busy CI machine: the page came back without the progress); a
                # participant reloads seconds after a click, so the script waits as one would
                time.sleep(1)
                driver.refresh()
                if shown_group(driver) != group:
                    raise SystemExit("after a reload the page shows another group")
            driver.find_element(By.ID, "next").click()
        answers = json.loads(driver.find_element(By.ID, "answers-json").text)
        errors = headless_chromium.console_errors(driver)
        if errors:
            raise SystemExit("console errors: %s" % errors)
        with open(out, "w") as f:
            json.dump(answers, f)
        print("answered %d groups as %s" % (len(answers["groups"]), participant))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
