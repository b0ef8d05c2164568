#!/usr/bin/env python3
"""Renders ops/k8s with `kubectl kustomize` and checks the objects' structure.

usage: check_k8s.py SWITCHBOARD_BINARY [REPO_ROOT]

kubectl is found on PATH (or $KUBECTL). Debian 12's kubernetes-client (kubectl 1.20, embedded
kustomize v2.0.3) is the oldest it must work with; newer ones render the same objects.
Renders ops/k8s/{base,autoscaling,monitoring,topics} and every directory under ops/k8s/overlays
holding a kustomization.yaml, then checks (a small schema checker: no kubeconform in Debian):
  - every object: a known apiVersion/kind, a valid metadata.name, valid labels, no duplicates;
  - Deployment: selector ⊆ template labels; per container an image with a tag, named ports,
    liveness /healthz and readiness /readyz on a declared port, cpu and memory requests and a
    memory limit, non-root; args a switchboard command with flags `switchboard help` lists,
    --stages from identity/context/dispatch, --policy on a directory-mounted (no subPath)
    ConfigMap of the render that has that key; SWITCHBOARD_* variables the binary documents;
    $(VAR) in args defined in env; configMapKeyRef to a ConfigMap/key of the render;
  - Service / PodDisruptionBudget / ServiceMonitor: selectors match Deployments / Services,
    target ports exist; one PDB per Deployment;
  - HorizontalPodAutoscaler and KEDA ScaledObject: the target Deployment exists, min ≤ max;
    every router Deployment has a ScaledObject (when the render has any) whose kafka triggers
    watch exactly the stage's input topics on group "switchboard-<stage>", with
    maxReplicaCount ≤ the partitions of each topic (from the KafkaTopics of ops/k8s/topics);
  - KafkaTopic: every topic of core/topics.h and app/topology.cc, co-partitioned topics with
    one partition count, profiles compacted, changelogs cleanup.policy delete.
Prints a summary per render and every problem; exit 1 if there is any.
"""

import glob
import os
import re
import shutil
import subprocess
import sys

import yaml  # Debian package python3-yaml

KNOWN_KINDS = {
    ("v1", "ConfigMap"), ("v1", "Service"), ("v1", "Secret"), ("apps/v1", "Deployment"),
    ("policy/v1", "PodDisruptionBudget"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"), ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
}
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_KEY = re.compile(r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
STAGES = {"identity", "context", "dispatch"}
# Input topics of each stage (router/README.md): what its consumer group reads.
STAGE_INPUTS = {
    "identity": {"inbound.v1", "identity-links.v1"},
    "context": {"customer-messages.v1", "customer-events.v1", "profiles.v1"},
    "dispatch": {"work-items.v1", "agent-events.v1"},
}
PREFIX = "switchboard."


def expected_topics(repo):
    """Topic suffixes from core/topics.h (prefix + "x.v1") and app/topology.cc (changelogs)."""
    with open(os.path.join(repo, "core", "topics.h")) as f:
        topics = set(re.findall(r'prefix \+ "([a-z0-9.-]+)"', f.read()))
    with open(os.path.join(repo, "app", "topology.cc")) as f:
        text = f.read()
    for stage in re.findall(r'changelogTopic\(options, "([a-z]+)"\)', text):
        topics.add(stage + ".changelog.v1")
    return topics


def binary_vocabulary(binary):
    out = subprocess.run([binary, "help"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    flags = set(re.findall(r"(?m)^\s+(--[a-z][a-z0-9-]*)", text))
    envs = set(re.findall(r"SWITCHBOARD_[A-Z0-9_]+", text))
    commands = set(re.findall(r"(?m)^  ([a-z]+)\s{2,}", text))
    if not flags or not envs or "router" not in commands:
        raise RuntimeError("could not read flags from `switchboard help`:\n" + text)
    return commands, flags, envs


def render(kubectl, path):
    r = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("kubectl kustomize %s failed:\n%s" % (path, r.stderr))
    return [doc for doc in yaml.safe_load_all(r.stdout) if doc is not None]


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Checker:
    def __init__(self, where, objects, partitions, vocabulary, problems, own=None):
        self.where = where
        self.objects = objects  # what references may point to
        self.own = own if own is not None else objects  # what is checked
        self.partitions = partitions
        self.commands, self.flags, self.envs = vocabulary
        self.problems = problems

    def fail(self, obj, message):
        name = "%s/%s" % (obj.get("kind"), obj.get("metadata", {}).get("name")) if obj else ""
        self.problems.append("%s: %s: %s" % (self.where, name, message))

    def of_kind(self, kind):
        return [o for o in self.objects if o.get("kind") == kind]

    def by_name(self, kind, name):
        for o in self.of_kind(kind):
            if o["metadata"]["name"] == name:
                return o
        return None

    def run(self):
        seen = set()
        for o in self.own:
            self.check_common(o, seen)
        for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                     "ScaledObject", "ServiceMonitor", "KafkaTopic", "ConfigMap",
                     "TriggerAuthentication"):
            for o in self.own:
                if o.get("kind") == kind:
                    getattr(self, "check_" + kind.lower())(o)
        if self.own is not self.objects:
            return
        deployments = self.of_kind("Deployment")
        pdbs = self.of_kind("PodDisruptionBudget")
        for d in deployments:
            labels = d["spec"]["template"]["metadata"].get("labels", {})
            n = sum(1 for p in pdbs if matches(p["spec"]["selector"].get("matchLabels"), labels))
            if n != 1:
                self.fail(d, "%d PodDisruptionBudgets select it, expected 1" % n)
        if self.of_kind("ScaledObject"):
            for d in deployments:
                stage = self.stage_of(d)
                if stage and not any(s["spec"]["scaleTargetRef"].get("name") ==
                                     d["metadata"]["name"] for s in self.of_kind("ScaledObject")):
                    self.fail(d, "router stage without a ScaledObject")

    def check_common(self, o, seen):
        api, kind = o.get("apiVersion"), o.get("kind")
        if (api, kind) not in KNOWN_KINDS:
            self.fail(o, "unknown apiVersion/kind %s/%s" % (api, kind))
        meta = o.get("metadata") or {}
        name = meta.get("name") or ""
        if not NAME.match(name) or len(name) > 253:
            self.fail(o, "invalid metadata.name %r" % name)
        key = (kind, meta.get("namespace"), name)
        if key in seen:
            self.fail(o, "defined twice")
        seen.add(key)
        for k, v in (meta.get("labels") or {}).items():
            if not LABEL_KEY.match(k) or not isinstance(v, str) or not LABEL_VALUE.match(v):
                self.fail(o, "invalid label %r: %r" % (k, v))
        if kind not in ("ConfigMap", "Secret") and not isinstance(o.get("spec"), dict):
            self.fail(o, "no spec")

    def stage_of(self, d):
        args = d["spec"]["template"]["spec"]["containers"][0].get("args") or []
        if "--stages" in args and args[:1] == ["router"]:
            stages = args[args.index("--stages") + 1].split(",")
            return stages[0] if len(stages) == 1 else None
        return None

    def check_configmap(self, o):
        if not isinstance(o.get("data"), dict) or not o["data"]:
            self.fail(o, "no data")

    def check_triggerauthentication(self, o):
        if not o["spec"].get("secretTargetRef"):
            self.fail(o, "no secretTargetRef")

    def check_deployment(self, d):
        spec = d["spec"]
        tmpl_labels = spec["template"]["metadata"].get("labels") or {}
        if not matches(spec.get("selector", {}).get("matchLabels"), tmpl_labels):
            self.fail(d, "selector.matchLabels is not a subset of the template's labels")
        pod = spec["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        containers = pod.get("containers") or []
        if not containers:
            self.fail(d, "no containers")
        pod_sc = pod.get("securityContext") or {}
        for c in containers:
            self.check_container(d, c, volumes, pod_sc)

    def check_container(self, d, c, volumes, pod_sc):
        image = c.get("image") or ""
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            self.fail(d, "image %r has no fixed tag" % image)
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
        if not ports or not all(isinstance(v, int) and k for k, v in ports.items()):
            self.fail(d, "container ports need a name and an integer containerPort")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = (c.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != path:
                self.fail(d, "%s must GET %s" % (probe, path))
            if get.get("port") not in ports and get.get("port") not in ports.values():
                self.fail(d, "%s port %r is not a container port" % (probe, get.get("port")))
        res = c.get("resources") or {}
        for kind, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
            for k in keys:
                if not (res.get(kind) or {}).get(k):
                    self.fail(d, "resources.%s.%s missing" % (kind, k))
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            self.fail(d, "not runAsNonRoot")
        env = {e["name"]: e for e in c.get("env") or []}
        for name, e in env.items():
            if name.startswith("SWITCHBOARD_") and name not in self.envs:
                self.fail(d, "env %s is not documented by `switchboard help`" % name)
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref and not ref.get("optional"):
                cm = self.by_name("ConfigMap", ref["name"])
                if not cm or ref["key"] not in (cm.get("data") or {}):
                    self.fail(d, "env %s: ConfigMap %s key %s not in the render"
                              % (name, ref["name"], ref["key"]))
        args = [str(a) for a in c.get("args") or []]
        if not args or args[0] not in self.commands or args[0] in ("help", "kafka"):
            self.fail(d, "args must start with a switchboard command, got %r" % args[:1])
        for a in args:
            if a.startswith("--") and a not in self.flags:
                self.fail(d, "flag %s is not in `switchboard help`" % a)
            for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", a):
                if var not in env:
                    self.fail(d, "args use $(%s), which env does not define" % var)
        if "--stages" in args:
            stages = set(args[args.index("--stages") + 1].split(","))
            if not stages <= STAGES:
                self.fail(d, "unknown stages %s" % sorted(stages - STAGES))
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts") or []}
        for m in mounts.values():
            if m["name"] not in volumes:
                self.fail(d, "volumeMount %s: no volume %s" % (m["mountPath"], m["name"]))
        if "--policy" in args:
            path = args[args.index("--policy") + 1]
            directory, key = os.path.split(path)
            m = mounts.get(directory)
            vol = volumes.get(m["name"]) if m else None
            if not m or m.get("subPath") or not vol or "configMap" not in vol:
                self.fail(d, "--policy %s: needs a ConfigMap volume mounted at %s without "
                          "subPath (hot reload)" % (path, directory))
            else:
                cm = self.by_name("ConfigMap", vol["configMap"]["name"])
                if not cm or key not in (cm.get("data") or {}):
                    self.fail(d, "--policy %s: ConfigMap %s with key %s not in the render"
                              % (path, vol["configMap"]["name"], key))

    def check_service(self, s):
        sel = s["spec"].get("selector") or {}
        targets = [d for d in self.of_kind("Deployment")
                   if matches(sel, d["spec"]["template"]["metadata"].get("labels") or {})]
        if not targets:
            self.fail(s, "selector matches no Deployment")
        for p in s["spec"].get("ports") or []:
            if not p.get("name") or not p.get("port"):
                self.fail(s, "port without name or number")
            for d in targets:
                names = {cp.get("name") for c in d["spec"]["template"]["spec"]["containers"]
                         for cp in c.get("ports") or []}
                nums = {cp.get("containerPort") for c in d["spec"]["template"]["spec"]
                        ["containers"] for cp in c.get("ports") or []}
                if p.get("targetPort") not in names | nums:
                    self.fail(s, "targetPort %r not a port of %s"
                              % (p.get("targetPort"), d["metadata"]["name"]))

    def check_poddisruptionbudget(self, p):
        spec = p["spec"]
        if ("minAvailable" in spec) == ("maxUnavailable" in spec):
            self.fail(p, "needs exactly one of minAvailable / maxUnavailable")

    def check_horizontalpodautoscaler(self, h):
        spec = h["spec"]
        ref = spec.get("scaleTargetRef") or {}
        if ref.get("kind") != "Deployment" or not self.by_name("Deployment", ref.get("name")):
            self.fail(h, "scaleTargetRef %r is not a Deployment of the render" % ref)
        if not 1 <= spec.get("minReplicas", 1) <= spec.get("maxReplicas", 0):
            self.fail(h, "needs 1 <= minReplicas <= maxReplicas")
        if not spec.get("metrics"):
            self.fail(h, "no metrics")

    def check_scaledobject(self, s):
        spec = s["spec"]
        target = self.by_name("Deployment", (spec.get("scaleTargetRef") or {}).get("name"))
        if not target:
            self.fail(s, "scaleTargetRef is not a Deployment of the render")
            return
        lo, hi = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount")
        if not isinstance(hi, int) or not 0 <= lo <= hi:
            self.fail(s, "needs 0 <= minReplicaCount <= maxReplicaCount")
            return
        stage = self.stage_of(target)
        if not stage:
            self.fail(s, "target %s does not run exactly one router stage"
                      % target["metadata"]["name"])
            return
        env = {e["name"] for c in target["spec"]["template"]["spec"]["containers"]
               for e in c.get("env") or []}
        watched = set()
        for t in spec.get("triggers") or []:
            md = t.get("metadata") or {}
            if t.get("type") != "kafka":
                self.fail(s, "trigger type %r, expected kafka" % t.get("type"))
                continue
            for k in ("consumerGroup", "topic", "lagThreshold"):
                if not md.get(k):
                    self.fail(s, "kafka trigger without %s" % k)
            if not md.get("bootstrapServers") and md.get("bootstrapServersFromEnv") not in env:
                self.fail(s, "kafka trigger: no bootstrapServers, or bootstrapServersFromEnv "
                          "not in the target's env")
            if md.get("consumerGroup") != "switchboard-" + stage:
                self.fail(s, "consumerGroup %r, the %s stage's group is switchboard-%s"
                          % (md.get("consumerGroup"), stage, stage))
            topic = md.get("topic") or ""
            watched.add(topic[len(PREFIX):] if topic.startswith(PREFIX) else topic)
            parts = self.partitions.get(topic)
            if parts is None:
                self.fail(s, "topic %r has no KafkaTopic in ops/k8s/topics" % topic)
            elif hi > parts:
                self.fail(s, "maxReplicaCount %d > %d partitions of %s" % (hi, parts, topic))
            auth = (t.get("authenticationRef") or {}).get("name")
            if auth and not self.by_name("TriggerAuthentication", auth):
                self.fail(s, "authenticationRef %s is not in the render" % auth)
        if watched != STAGE_INPUTS[stage]:
            self.fail(s, "triggers watch %s; the %s stage reads %s"
                      % (sorted(watched), stage, sorted(STAGE_INPUTS[stage])))

    def check_servicemonitor(self, m):
        sel = (m["spec"].get("selector") or {}).get("matchLabels")
        services = [s for s in self.of_kind("Service")
                    if matches(sel, s["metadata"].get("labels") or {})]
        if not services:
            self.fail(m, "selector matches no Service")
        for e in m["spec"].get("endpoints") or []:
            if e.get("path") != "/metrics":
                self.fail(m, "endpoint path %r, expected /metrics" % e.get("path"))
            for s in services:
                if e.get("port") not in {p.get("name") for p in s["spec"].get("ports") or []}:
                    self.fail(m, "endpoint port %r not a named port of Service %s"
                              % (e.get("port"), s["metadata"]["name"]))
        if not m["spec"].get("endpoints"):
            self.fail(m, "no endpoints")

    def check_kafkatopic(self, t):
        spec = t["spec"]
        if not t["metadata"].get("labels", {}).get("strimzi.io/cluster"):
            self.fail(t, "no strimzi.io/cluster label")
        if not isinstance(spec.get("partitions"), int) or spec["partitions"] < 1:
            self.fail(t, "partitions must be a positive integer")
        if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
            self.fail(t, "replicas must be a positive integer")
        name = spec.get("topicName") or ""
        config = spec.get("config") or {}
        if name.endswith(".changelog.v1") and config.get("cleanup.policy") != "delete":
            self.fail(t, "changelogs use cleanup.policy delete (app/topology.cc)")
        if name.endswith("profiles.v1") and config.get("cleanup.policy") != "compact":
            self.fail(t, "profiles are compacted (app/topology.cc)")


def check_topics(objects, repo, problems):
    topics = {o["spec"]["topicName"]: o["spec"]["partitions"] for o in objects
              if o.get("kind") == "KafkaTopic"}
    want = {PREFIX + t for t in expected_topics(repo)}
    for t in sorted(want - set(topics)):
        problems.append("ops/k8s/topics: no KafkaTopic for %s" % t)
    for t in sorted(set(topics) - want):
        problems.append("ops/k8s/topics: %s is not a Switchboard topic" % t)
    copartitioned = {t: p for t, p in topics.items() if not t.endswith("dead-letters.v1")}
    if len(set(copartitioned.values())) > 1:
        problems.append("ops/k8s/topics: co-partitioned topics disagree on partitions: %s"
                        % copartitioned)
    return topics


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))
    kubectl = os.environ.get("KUBECTL") or shutil.which("kubectl")
    if not kubectl:
        print("FAILED: kubectl not found on PATH (Debian package kubernetes-client)")
        return 1
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True)
    print("using %s: %s" % (kubectl, (version.stdout or version.stderr).strip().splitlines()[0]))
    vocabulary = binary_vocabulary(binary)
    k8s = os.path.join(repo, "ops", "k8s")
    problems = []

    topic_objects = render(kubectl, os.path.join(k8s, "topics"))
    partitions = check_topics(topic_objects, repo, problems)
    with open(os.path.join(k8s, "base", "policy.yaml")) as f:
        policy_source = f.read()

    dirs = [os.path.join(k8s, d) for d in ("base", "autoscaling", "monitoring", "topics")]
    dirs += sorted(os.path.dirname(p) for p in glob.glob(
        os.path.join(k8s, "overlays", "**", "kustomization.yaml"), recursive=True))
    for path in dirs:
        where = os.path.relpath(path, repo)
        try:
            objects = render(kubectl, path)
        except (RuntimeError, ValueError) as e:
            problems.append("%s: %s" % (where, e))
            continue
        before = len(problems)
        # Parts rendered alone refer to objects of the base: check them together with it.
        context = objects
        if os.path.basename(path) in ("autoscaling", "monitoring"):
            context = objects + render(kubectl, os.path.join(k8s, "base"))
        Checker(where, context, partitions, vocabulary, problems, own=objects).run()
        for o in objects:
            if o.get("kind") == "ConfigMap" and "policy.yaml" in (o.get("data") or {}):
                if o["data"]["policy.yaml"] != policy_source:
                    problems.append("%s: the policy ConfigMap does not hold "
                                    "ops/k8s/base/policy.yaml as is" % where)
        kinds = {}
        for o in objects:
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
        secrets = sorted({e["valueFrom"]["secretKeyRef"]["name"] for o in objects
                          if o.get("kind") == "Deployment"
                          for c in o["spec"]["template"]["spec"]["containers"]
                          for e in c.get("env") or []
                          if "secretKeyRef" in (e.get("valueFrom") or {})})
        print("%-40s %2d objects (%s)%s %s" % (
            where, len(objects), ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())),
            "; Secrets referenced: " + ", ".join(secrets) if secrets else "",
            "ok" if len(problems) == before else "PROBLEMS"))
    if problems:
        print("\nFAILED: %d problem(s)" % len(problems))
        for p in problems:
            print("  - " + p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
