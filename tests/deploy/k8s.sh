#!/usr/bin/env bash
# The Kubernetes manifests, validated for real: `kubectl kustomize
# deploy/k8s` renders them; kubernetes-validate --strict (its own copies of
# the Kubernetes OpenAPI schemas) checks the built-in kinds for the newest
# version it knows and an older one still in use; the KEDA ScaledObjects are
# checked, strictly, against KEDA's CRD schema vendored in
# deploy/k8s/schemas/ (tests/tools/check_crd.py). Each check is also shown
# to fail on a broken copy.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
K8S_VERSIONS=(1.37.0 1.29.0) # newest kubernetes-validate 1.37 knows; an older one
KEDA_SCHEMA=$DEPLOY_ROOT/deploy/k8s/schemas/keda.sh_scaledobjects.v1alpha1.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kustomize() { kubectl kustomize "$1" >"$2"; }
# split FILE: FILE.builtin (Kubernetes' own kinds) and FILE.keda (ScaledObjects)
split() {
        /usr/bin/python3 - "$1" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
keda = [d for d in docs if d["apiVersion"].startswith("keda.sh/")]
builtin = [d for d in docs if d not in keda]
yaml.safe_dump_all(builtin, open(sys.argv[1] + ".builtin", "w"))
yaml.safe_dump_all(keda, open(sys.argv[1] + ".keda", "w"))
print("%d built-in, %d KEDA" % (len(builtin), len(keda)), file=sys.stderr)
PY
}
# validate VERSION FILE: strict, and every document must have had a schema
validate() {
        local out
        out=$(kubernetes-validate --strict -k "$1" "$2" 2>&1) || {
                printf '%s\n' "$out" | grep -v '^INFO' >&2
                return 1
        }
        ! grep -q "Couldn't find schema" <<<"$out"
}
keda() { /usr/bin/python3 "$DEPLOY_ROOT/tests/tools/check_crd.py" "$KEDA_SCHEMA" ScaledObject "$1"; }

r=$work/rendered.yaml
check kustomize "$DEPLOY_ROOT/deploy/k8s" "$r" "kubectl kustomize deploy/k8s renders ($(kubectl version --client 2>/dev/null | head -n 1))"
split "$r"
check test "$(grep -c '^kind:' "$r.keda")" = 2 "both ScaledObjects rendered"
for v in "${K8S_VERSIONS[@]}"; do
        check validate "$v" "$r.builtin" "kubernetes-validate --strict: every built-in resource is valid for Kubernetes $v"
done
check keda "$r.keda" "the ScaledObjects are valid against KEDA's CRD schema (strict)"

# negative cases: one broken copy per check
cp -r "$DEPLOY_ROOT/deploy/k8s" "$work/bad-kustomization"
check kustomize "$work/bad-kustomization" "$work/x.yaml" "a copy of deploy/k8s renders too"
echo "  - missing.yaml" >>"$work/bad-kustomization/kustomization.yaml"
check fails kustomize "$work/bad-kustomization" "$work/x.yaml" \
        "negative: kustomize fails on a missing resource"
sed 's/^\(\s*\)readinessProbe:/\1readynessProbe:/' "$r.builtin" >"$work/typo.yaml"
check fails cmp -s "$r.builtin" "$work/typo.yaml" "negative case prepared (readynessProbe)"
for v in "${K8S_VERSIONS[@]}"; do
        check fails validate "$v" "$work/typo.yaml" \
                "negative: kubernetes-validate $v rejects a misspelt field (readynessProbe)"
done
sed 's/\(containerPort:\) [0-9]*$/\1 http-port-number/' "$r.builtin" >"$work/type.yaml"
check fails cmp -s "$r.builtin" "$work/type.yaml" "negative case prepared (containerPort: http-port-number)"
check fails validate "${K8S_VERSIONS[0]}" "$work/type.yaml" \
        "negative: kubernetes-validate rejects a containerPort that is no number"
sed 's/maxReplicaCount/maxReplicas/' "$r.keda" >"$work/keda-typo.yaml"
check fails cmp -s "$r.keda" "$work/keda-typo.yaml" "negative case prepared (maxReplicas)"
check fails keda "$work/keda-typo.yaml" "negative: a ScaledObject with maxReplicas (not maxReplicaCount) fails"
sed 's/\(type:\) kafka$/\1 7/' "$r.keda" >"$work/keda-type.yaml"
check fails cmp -s "$r.keda" "$work/keda-type.yaml" "negative case prepared (trigger type: 7)"
check fails keda "$work/keda-type.yaml" "negative: a ScaledObject trigger whose type is no string fails"
check_summary "deploy k8s"
