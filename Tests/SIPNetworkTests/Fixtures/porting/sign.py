#!/usr/bin/python3
"""Signs a Letter of Authorization in a real browser: headless Chromium driven by Selenium (Debian's chromium,
chromium-driver and python3-selenium), for siptrunk's signing-page test.

usage: sign.py SIGNATURE_URL NAME
Prints one JSON object: what the page showed before signing, whether the browser refused to submit without
consent, and what it showed after signing.
"""
import json, shutil, sys, tempfile
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, name = sys.argv[1], sys.argv[2]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
profile = tempfile.mkdtemp(prefix="siptrunk-chromium-")
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
result = {}
try:
    driver.get(url)
    result["title"] = driver.title
    result["before"] = driver.find_element(By.TAG_NAME, "body").text
    result["pdf_link"] = [a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a") if "loa.pdf" in (a.get_attribute("href") or "")]
    driver.find_element(By.ID, "name").send_keys(name)
    # Without consent the browser itself refuses to submit (the checkbox is required).
    driver.find_element(By.ID, "sign").click()
    result["still_on_form_without_consent"] = driver.current_url == url and len(driver.find_elements(By.ID, "consent")) == 1
    result["consent_valid_before"] = driver.execute_script("return document.getElementById('consent').checkValidity()")
    driver.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "sign").click()
    WebDriverWait(driver, 15).until(lambda d: len(d.find_elements(By.ID, "consent")) == 0)
    result["after"] = driver.find_element(By.TAG_NAME, "body").text
finally:
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
print(json.dumps(result))
