#!/usr/bin/env bash
# package-chart.sh MODULE_DIR VERSION FILTER_CRD HELM OUT_DIR
#
# Packages deploy/charts/cert-manager of the cert-manager module and generates its CRD manifests as
# the v1.1.1 release's Bazel build does, with the same tools (hack/filter-crd built from the module,
# helm). Rule by rule (the module's BUILD.bazel files):
#   //deploy/crds:templates.regular   concat_files of crd-<name>.yaml, separator "---"
#   //deploy/crds:templates.v1beta1   concat_files of crd-<name>.v1beta1.yaml
#   //deploy/crds:templates.legacy    filter-crd -variant=cert-manager-legacy templates.v1beta1
#   //deploy/charts/cert-manager/templates:crds(.legacy)  modify_file: the templates wrapped in the
#                                     semverCompare / installCRDs guards
#   //deploy/charts/cert-manager      helm_pkg: templates (incl. the two above) + _helpers.tpl +
#                                     Chart.yaml, values.yaml, README.md; helm package --version
#                                     --app-version = the release tag
#   //deploy/crds:crds.legacy         helm_tmpl of a package holding only templates.legacy (+
#                                     _helpers.tpl, Chart.yaml, values.yaml): release cert-manager in
#                                     namespace cert-manager
#   //deploy/manifests:cert-manager-legacy.crds.yaml  filter-crd -variant=no-helm crds.legacy
# Writes OUT_DIR/chart/cert-manager-VERSION.tgz, OUT_DIR/crds.legacy.yaml (as the chart installs
# them on Kubernetes < 1.16), OUT_DIR/cert-manager-legacy.crds.yaml (the release's static manifest)
# and OUT_DIR/crds.regular.yaml.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: package-chart.sh MODULE_DIR VERSION FILTER_CRD HELM OUT_DIR" >&2; exit 2; }
mod="$1" version="$2" filter_crd="$3" helm="$4" out="$5"
crds=(certificaterequests certificates challenges clusterissuers issuers orders)
chart_src="$mod/deploy/charts/cert-manager"
[ -f "$chart_src/Chart.yaml" ] || { echo "no chart in $chart_src" >&2; exit 1; }
mkdir -p "$out"
t="$(mktemp -d "$out/.package.XXXXXX")"
trap 'rm -rf "$t"' EXIT

concat_files() { # out separator files...
  local o="$1" sep="$2" f; shift 2
  : >"$o"
  for f in "$@"; do cat "$f" >>"$o"; echo -e "$sep" >>"$o"; done
}
modify_file() { # out src prefix suffix
  { echo -e "$3"; cat "$2"; echo -e "$4"; } >"$1"
}
# helm_pkg: a chart folder named cert-manager with the given templates, packaged at VERSION.
helm_pkg() { # dir templates...
  local base="$1" d="$1/cert-manager"; shift
  mkdir -p "$d/templates"
  cp "$@" "$chart_src/templates/_helpers.tpl" "$d/templates/"
  cp "$chart_src/Chart.yaml" "$chart_src/values.yaml" "$d/"
  # //deploy/charts/cert-manager:README: README.template.md with {{RELEASE_VERSION}} set
  sed -e "s:{{RELEASE_VERSION}}:$version:g" "$chart_src/README.template.md" >"$d/README.md"
  (cd "$base" && "$helm" package --app-version="$version" --version="$version" ./cert-manager >/dev/null)
  [ -f "$base/cert-manager-$version.tgz" ] || { echo "helm package made no cert-manager-$version.tgz in $base" >&2; return 1; }
}

regular=() v1beta1=()
for c in "${crds[@]}"; do regular+=("$mod/deploy/crds/crd-$c.yaml"); v1beta1+=("$mod/deploy/crds/crd-$c.v1beta1.yaml"); done
concat_files "$t/templates.regular" "---" "${regular[@]}"
concat_files "$t/templates.v1beta1" "---" "${v1beta1[@]}"
"$filter_crd" -variant=cert-manager-legacy "$t/templates.v1beta1" >"$t/templates.legacy"

mkdir -p "$t/crd-templates"
modify_file "$t/crd-templates/crds.yaml" "$t/templates.regular" \
  '{{- if (semverCompare ">=1.16-0" .Capabilities.KubeVersion.GitVersion) }}\n{{- if .Values.installCRDs }}' '{{- end }}\n{{- end }}'
modify_file "$t/crd-templates/crds.legacy.yaml" "$t/templates.legacy" \
  '{{- if (semverCompare "<1.16-0" .Capabilities.KubeVersion.GitVersion) }}\n{{- if .Values.installCRDs }}' '{{- end }}\n{{- end }}'

# The chart: every *.yaml and *.txt of templates/ (chart-srcs) plus the two generated files.
mkdir -p "$t/chart"
shopt -s nullglob
helm_pkg "$t/chart" "$t/crd-templates/crds.yaml" "$t/crd-templates/crds.legacy.yaml" \
  $(ls "$chart_src"/templates/*.yaml "$chart_src"/templates/*.txt)

# The CRD-only packages, rendered as upstream's helm_tmpl renders them.
for variant in legacy regular; do
  mkdir -p "$t/crds-$variant"
  cp "$t/templates.$variant" "$t/crds-$variant.yaml.in"
  mv "$t/crds-$variant.yaml.in" "$t/crds-$variant/crds.$variant.yaml"
  mkdir -p "$t/pkg-$variant"
  helm_pkg "$t/pkg-$variant" "$t/crds-$variant/crds.$variant.yaml"
  # DEVIATION: upstream passes --api-versions="" (none added); an empty flag is left out here.
  "$helm" template --namespace=cert-manager cert-manager "$t/pkg-$variant/cert-manager-$version.tgz" >"$t/crds.$variant.yaml"
done
"$filter_crd" -variant=no-helm "$t/crds.legacy.yaml" >"$t/cert-manager-legacy.crds.yaml"

mkdir -p "$out/chart"
mv "$t/chart/cert-manager-$version.tgz" "$out/chart/"
mv "$t/crds.legacy.yaml" "$t/crds.regular.yaml" "$t/cert-manager-legacy.crds.yaml" "$out/"
