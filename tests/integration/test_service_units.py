# SPDX-License-Identifier: ISC
"""The systemd units and the installed files, checked offline: systemd-analyze verify and
security, every config key documented in the example config, the man page and the README,
the socket unit agreeing with the default config, and a DESTDIR install of the full tree."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import FRONTDESKD, main  # noqa: E402
from servicetest import BUILD_ROOT, SOURCE_ROOT  # noqa: E402

SERVICE = os.path.join(BUILD_ROOT, "systemd", "frontdeskd.service")  # as it is installed
SOCKET = os.path.join(SOURCE_ROOT, "systemd", "frontdeskd.socket")
EXAMPLE = os.path.join(SOURCE_ROOT, "contrib", "frontdesk.conf")
MAN = {"8": os.path.join(SOURCE_ROOT, "contrib", "man", "frontdeskd.8"),
       "5": os.path.join(SOURCE_ROOT, "contrib", "man", "frontdesk.conf.5")}


def read(path):
    with open(path) as f:
        return f.read()


class Units(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="frontdesk-units-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_verify(self):
        # verify checks that ExecStart= is executable, and the installed path does not exist
        # in a build tree: this copy of the unit runs the built binary instead. Everything
        # else is verified as installed. Documentation=man: pages are looked up with man(1)
        # in a tree of our own pages, so a missing or misnamed page fails too.
        unit = re.sub(r"^ExecStart=\S+", "ExecStart=" + os.path.abspath(FRONTDESKD),
                      read(SERVICE), flags=re.M)
        with open(os.path.join(self.dir, "frontdeskd.service"), "w") as f:
            f.write(unit)
        shutil.copy(SOCKET, self.dir)
        env = dict(os.environ)
        args = ["systemd-analyze", "verify"]
        if shutil.which("man"):
            for section, page in MAN.items():
                os.makedirs(os.path.join(self.dir, "man", "man" + section), exist_ok=True)
                shutil.copy(page, os.path.join(self.dir, "man", "man" + section))
            env["MANPATH"] = os.path.join(self.dir, "man")
        else:
            args.append("--man=no")
        units = [os.path.join(self.dir, u) for u in ("frontdeskd.socket", "frontdeskd.service")]
        r = subprocess.run(args + units, env=env, capture_output=True, text=True)
        output = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, output)
        self.assertNotRegex(output, r"frontdeskd\.(service|socket)", output)

    def test_security_exposure_at_most_2(self):
        shutil.copy(SERVICE, self.dir)
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                            os.path.join(self.dir, "frontdeskd.service")],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for frontdeskd\.service: (\d+\.\d+) (\w+)",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        print("systemd-analyze security: %s %s" % (m.group(1), m.group(2)))
        self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)

    def test_unit_content(self):
        unit = read(SERVICE)
        for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                     "SystemCallFilter=@system-service", "CapabilityBoundingSet=",
                     "RuntimeDirectory=frontdesk", "StateDirectory=frontdesk",
                     "StateDirectoryMode=0700", "User=frontdesk"):
            self.assertRegex(unit, "(?m)^" + re.escape(line) + "$")
        self.assertRegex(unit, r"(?m)^WatchdogSec=\d+")
        self.assertRegex(unit, r"(?m)^ExecStart=/\S+/frontdeskd -c /\S*/frontdesk/frontdesk\.conf$")
        self.assertIn("u frontdesk ", read(os.path.join(SOURCE_ROOT, "systemd",
                                                        "frontdesk.sysusers")))

    def test_socket_unit_matches_the_default_config(self):
        listen = re.findall(r"^ListenStream=(.*)$", read(SOCKET), re.M)
        example = dict(re.findall(r"^#(\w+) = (.*)$", read(EXAMPLE), re.M))
        self.assertEqual(listen, [example["listen"], example["agent_socket"]])


class Documentation(unittest.TestCase):
    def test_every_key_documented_with_its_default(self):
        keys = re.findall(r"^\s*(?:KEY|CHOICE)\((\w+),",
                          read(os.path.join(SOURCE_ROOT, "src", "daemon", "config.c")), re.M)
        self.assertIn("log_messages", keys)
        example = re.findall(r"^#(\w+) = ", read(EXAMPLE), re.M)
        man = re.findall(r'^\.BR (\w+) " = "', read(MAN["5"]), re.M)
        readme = read(os.path.join(SOURCE_ROOT, "README.md"))
        section = readme[readme.index("\n## Configuration"):]
        section = section[:section.index("\n## ", 1)]
        readme = re.findall(r"^\| `(\w+)` \|", section, re.M)
        for name, documented in (("example config", example), ("frontdesk.conf(5)", man),
                                 ("README", readme)):
            self.assertEqual(sorted(documented), sorted(keys), name)

    def test_example_config_is_valid_as_is_and_uncommented(self):
        r = subprocess.run([FRONTDESKD, "--check-config", "-c", EXAMPLE],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write(re.sub(r"^#(\w+ = )", r"\1", read(EXAMPLE), flags=re.M))
            f.flush()
            r = subprocess.run([FRONTDESKD, "--check-config", "-c", f.name],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(shutil.which("meson"), "meson is not installed")
class Install(unittest.TestCase):
    def test_destdir_install_has_the_full_tree(self):
        destdir = tempfile.mkdtemp(prefix="frontdesk-destdir-")
        try:
            r = subprocess.run(["meson", "install", "-C", BUILD_ROOT, "--no-rebuild",
                                "--destdir", destdir], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            files = sorted(os.path.relpath(os.path.join(d, f), destdir)
                           for d, _, fs in os.walk(destdir) for f in fs)
            expect = [r"etc/frontdesk/frontdesk\.conf", r".*/s?bin/frontdeskd",
                      r".*/bin/frontdesk", r".*/bin/frontdeskctl",
                      r".*/lib/systemd/system/frontdeskd\.service",
                      r".*/lib/systemd/system/frontdeskd\.socket",
                      r".*/lib/sysusers\.d/frontdesk\.conf",
                      r".*/lib/tmpfiles\.d/frontdesk\.conf",
                      r".*/man/man8/frontdeskd\.8", r".*/man/man5/frontdesk\.conf\.5",
                      r".*/man/man1/frontdeskctl\.1",
                      r".*/doc/frontdesk/frontdesk\.conf"]
            for pattern in expect:
                self.assertTrue([f for f in files if re.fullmatch(pattern, f)],
                                "%s missing from %s" % (pattern, files))
            # The installed unit starts the installed binary with the installed config.
            unit = [f for f in files if f.endswith("frontdeskd.service")][0]
            daemon = [f for f in files if f.endswith("bin/frontdeskd")][0]
            self.assertIn("ExecStart=/%s -c /etc/frontdesk/frontdesk.conf" % daemon,
                          read(os.path.join(destdir, unit)))
        finally:
            shutil.rmtree(destdir, ignore_errors=True)


if __name__ == "__main__":
    main()
