#!/usr/bin/env python3
"""The container image's runtime stage installs every shared library the switchboard binary
needs, without Docker: ldd resolves the binary's libraries on this (Debian 12) machine, dpkg -S
names the package of each, and every such package must be in the runtime stage's
`apt-get install` list of ops/docker/Dockerfile, or be installed with one of them (apt-cache
depends), or be in debian:12-slim already.

usage: check_docker_runtime.py SWITCHBOARD_BINARY REPO_ROOT
"""

import os
import re
import subprocess
import sys

# Essential packages of debian:12-slim (dpkg --get-selections of the image).
BASE_IMAGE = {"libc6", "libstdc++6", "libgcc-s1", "libzstd1", "zlib1g", "liblz4-1",
              "libbz2-1.0", "libcrypt1", "libselinux1", "libpcre2-8-0", "libssl3",
              "libgcrypt20", "libgpg-error0", "libsystemd0", "liblzma5", "libcap2"}


def runtime_packages(dockerfile):
    text = open(dockerfile).read()
    # The last stage: everything after the last FROM.
    stage = text[text.rindex("\nFROM "):]
    start = stage.find("apt-get install")
    if start < 0:
        raise SystemExit("no apt-get install in the runtime stage of " + dockerfile)
    end = stage.find("&&", start)
    words = stage[start + len("apt-get install"):end].replace("\\", " ").split()
    return {w for w in words if not w.startswith("-")}


def dependency_closure(packages):
    """The listed packages and everything apt installs with them (Depends/PreDepends)."""
    r = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                        "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] +
                       sorted(packages), capture_output=True, text=True, check=True)
    closure = set(packages)
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(?:\|)?(?:Pre)?Depends: <?([^<>\s:]+)", line)
        if m:
            closure.add(m.group(1))
        elif line and not line.startswith(" "):
            closure.add(line.strip().split(":")[0])
    return closure


def package_of(path):
    real = os.path.realpath(path)
    for candidate in (path, real, real.replace("/usr/lib/", "/lib/", 1)):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def main():
    binary, repo = sys.argv[1], sys.argv[2]
    listed = runtime_packages(os.path.join(repo, "ops", "docker", "Dockerfile"))
    installed = dependency_closure(listed)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    missing, seen = [], []
    for line in ldd.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if not m:
            continue
        if m.group(2) == "not":
            raise SystemExit("ldd: %s not found on this machine" % m.group(1))
        package = package_of(m.group(2))
        if package is None:
            missing.append("%s (%s: no Debian package)" % (m.group(1), m.group(2)))
            continue
        seen.append(package)
        if package not in installed and package not in BASE_IMAGE:
            missing.append("%s from package %s" % (m.group(1), package))
    print("runtime stage installs: " + " ".join(sorted(listed)))
    print("binary needs packages: " + " ".join(sorted(set(seen))))
    if missing:
        print("MISSING from the Dockerfile's runtime stage:\n  " + "\n  ".join(missing))
        return 1
    print("ok: every shared library of %s comes from a listed or base-image package" % binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
