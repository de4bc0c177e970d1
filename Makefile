# Capstan: Kubernetes clusters as a service on Crossplane v2 and Cluster API.
# `make help` lists the targets. Every tool builds from the Go module proxy, by the version pinned
# in its module under hack/tools, into a tool store every clone shares; nothing is downloaded as a
# release binary.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# TOOL_STORE keeps each tool built once per version for every clone on the machine, so a fresh
# clone (CI's) builds none; .cache/tools/bin in the clone links the versions this clone pins.
TOOL_STORE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/capstan/tools
BIN := $(CURDIR)/.cache/tools/bin
GO_TEST_FLAGS ?=

# modversion reads the version of module $(2) pinned in hack/tools/$(1)/go.mod, so each version is
# written down once.
modversion = $(shell awk '{ for (i = 1; i < NF; i++) if ($$i == "$(2)") { print $$(i+1); exit } }' hack/tools/$(1)/go.mod)

KUBE_VERSION := $(call modversion,kubernetes,k8s.io/kubernetes)
ETCD_VERSION := $(call modversion,etcd,go.etcd.io/etcd/server/v3)
CROSSPLANE_VERSION := $(call modversion,crossplane,github.com/crossplane/crossplane/v2)
CROSSPLANE_CLI_VERSION := $(call modversion,crossplane-cli,github.com/crossplane/cli/v2)
CONTROLLER_GEN_VERSION := $(call modversion,codegen,sigs.k8s.io/controller-tools)
ANGRYJET_VERSION := $(call modversion,codegen,github.com/crossplane/crossplane-tools)
GOLANGCI_LINT_VERSION := $(call modversion,golangci-lint,github.com/golangci/golangci-lint/v2)

KUBE_LDFLAGS := -s -w \
	-X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=$(word 1,$(subst ., ,$(KUBE_VERSION:v%=%))) \
	-X k8s.io/component-base/version.gitMinor=$(word 2,$(subst ., ,$(KUBE_VERSION:v%=%))) \
	-X k8s.io/component-base/version.gitTreeState=clean
CROSSPLANE_LDFLAGS := -s -w -X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$(CROSSPLANE_VERSION)
CROSSPLANE_CLI_LDFLAGS := -s -w -X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$(CROSSPLANE_CLI_VERSION)

# Each tool lives at $(TOOL_STORE)/<name>-<version>/<name>; .cache/tools/bin links the pinned ones so
# that KUBEBUILDER_ASSETS (envtest's convention) and PATH can point at one directory.
tool = $(TOOL_STORE)/$(1)-$(2)/$(1)
ETCD := $(call tool,etcd,$(ETCD_VERSION))
KUBE_APISERVER := $(call tool,kube-apiserver,$(KUBE_VERSION))
KUBE_CONTROLLER_MANAGER := $(call tool,kube-controller-manager,$(KUBE_VERSION))
KUBECTL := $(call tool,kubectl,$(KUBE_VERSION))
CROSSPLANE_CORE := $(call tool,crossplane-core,$(CROSSPLANE_VERSION))
CROSSPLANE_CLI := $(call tool,crossplane,$(CROSSPLANE_CLI_VERSION))
CROSSPLANE_CORE_CRDS := $(dir $(CROSSPLANE_CORE))crds/.copied
CONTROLLER_GEN := $(call tool,controller-gen,$(CONTROLLER_GEN_VERSION))
ANGRYJET := $(call tool,angryjet,$(ANGRYJET_VERSION))
GOLANGCI_LINT := $(call tool,golangci-lint,$(GOLANGCI_LINT_VERSION))
# STACK_TOOLS are what a local stack needs (make up, make demo): the management plane, Crossplane
# core, kubectl, and the crossplane CLI that builds the packages the stack installs. The rest
# generate, lint and test.
STACK_TOOLS := $(ETCD) $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(CROSSPLANE_CORE) $(KUBECTL) $(CROSSPLANE_CLI)
ALL_TOOLS := $(STACK_TOOLS) $(CONTROLLER_GEN) $(ANGRYJET) $(GOLANGCI_LINT)

export KUBEBUILDER_ASSETS := $(BIN)
export PATH := $(BIN):$(PATH)

# build-tool builds package $(2) of the tool module hack/tools/$(1) into $@ with ldflags $(3). A cold
# build compiles for minutes in silence, so it says every 30 s that it is still at work.
define build-tool
	@echo "building $(notdir $@) $(notdir $(patsubst %/,%,$(dir $@))) from the Go module proxy (once; minutes on a cold cache)"
	@mkdir -p $(dir $@)
	@start=$$(date +%s); (while sleep 30; do echo "  still building $(notdir $@): $$(( $$(date +%s) - start ))s"; done) & beat=$$!; \
	trap 'kill $$beat 2>/dev/null' EXIT; \
	cd hack/tools/$(1) && $(GO) build -trimpath -ldflags '$(3)' -o $@.tmp $(2)
	@mv $@.tmp $@
	@mkdir -p $(BIN) && ln -sfn $@ $(BIN)/$(notdir $@)
endef

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN { FS = ":.*##"; printf "Usage: make <target>\n" } \
		/^[a-zA-Z0-9_.-]+:.*##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Tools

.PHONY: tools
tools: $(ALL_TOOLS) $(CROSSPLANE_CORE_CRDS) ## Build every pinned tool into the tool store and link it in .cache/tools/bin (a second run, or another clone, builds nothing).
	@mkdir -p $(BIN)
	@for t in $(ALL_TOOLS); do ln -sfn "$$t" "$(BIN)/$$(basename "$$t")"; done

.PHONY: stack-tools
stack-tools: $(STACK_TOOLS) $(CROSSPLANE_CORE_CRDS) ## Build only what a running stack needs: etcd, kube-apiserver, kube-controller-manager, Crossplane core, kubectl and the crossplane CLI.
	@mkdir -p $(BIN)
	@for t in $(STACK_TOOLS); do ln -sfn "$$t" "$(BIN)/$$(basename "$$t")"; done

$(ETCD):
	$(call build-tool,etcd,go.etcd.io/etcd/server/v3,-s -w)
$(KUBE_APISERVER):
	$(call build-tool,kubernetes,k8s.io/kubernetes/cmd/kube-apiserver,$(KUBE_LDFLAGS))
$(KUBE_CONTROLLER_MANAGER):
	$(call build-tool,kubernetes,k8s.io/kubernetes/cmd/kube-controller-manager,$(KUBE_LDFLAGS))
$(KUBECTL):
	$(call build-tool,kubernetes,k8s.io/kubernetes/cmd/kubectl,$(KUBE_LDFLAGS))
$(CROSSPLANE_CORE):
	$(call build-tool,crossplane,github.com/crossplane/crossplane/v2/cmd/crossplane,$(CROSSPLANE_LDFLAGS))
# Core's own CRDs go next to its binary, where `core init` (internal/xpcore) finds them.
$(CROSSPLANE_CORE_CRDS): $(CROSSPLANE_CORE)
	@mkdir -p $(dir $@)
	cp "$$(cd hack/tools/crossplane && $(GO) list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)"/cluster/crds/*.yaml $(dir $@)
	chmod u+w $(dir $@)*.yaml
	@touch $@
$(CROSSPLANE_CLI):
	$(call build-tool,crossplane-cli,github.com/crossplane/cli/v2/cmd/crossplane,$(CROSSPLANE_CLI_LDFLAGS))
$(CONTROLLER_GEN):
	$(call build-tool,codegen,sigs.k8s.io/controller-tools/cmd/controller-gen,-s -w)
$(ANGRYJET):
	$(call build-tool,codegen,github.com/crossplane/crossplane-tools/cmd/angryjet,-s -w)
$(GOLANGCI_LINT):
	$(call build-tool,golangci-lint,github.com/golangci/golangci-lint/v2/cmd/golangci-lint,-s -w)

##@ Development

.PHONY: generate
generate: tools ## Regenerate deepcopy, managed-resource methods and CRDs from the Go types.
	$(GO) generate ./...

# PLATFORMS are the linux architectures of the runtime images. Each gets its own xpkg;
# `crossplane xpkg push -f <pkg>-amd64.xpkg,<pkg>-arm64.xpkg <ref>` publishes them as one
# multi-architecture package.
PLATFORMS := amd64 arm64
IMAGE_LABELS := org.opencontainers.image.source=github.com/capstan-dev/capstan,org.opencontainers.image.licenses=Apache-2.0

# runtime-xpkg builds package $(1) from package root $(2) with examples $(3) for every platform,
# embedding a runtime image of Go package $(5) as the binary /$(4), listening on ports $(6).
define runtime-xpkg
	@for arch in $(PLATFORMS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w' -o _output/bin/linux_$$arch/$(4) $(5); \
		_output/bin/runtime-image --binary=_output/bin/linux_$$arch/$(4) --arch=$$arch --tag=xpkg.capstan.dev/capstan/$(1):dev \
			$(foreach p,$(6),--port=$(p)) --label=org.opencontainers.image.title=$(1),$(IMAGE_LABELS) --out=_output/images/$(1)-$$arch.tar; \
		$(CROSSPLANE_CLI) xpkg build --package-root=$(2) --examples-root=$(3) \
			--embed-runtime-image-tarball=_output/images/$(1)-$$arch.tar --package-file=_output/xpkg/$(1)-$$arch.xpkg; \
		echo "built _output/xpkg/$(1)-$$arch.xpkg"; \
	done
endef

.PHONY: build
build: $(CROSSPLANE_CLI) ## Build the binaries into bin/, and the packages into _output/xpkg (offline): provider and function for linux/amd64 and arm64 with their runtime images, and the configuration.
	$(GO) build -o bin/ ./cmd/capstan ./cmd/provider ./cmd/inmemory-cloud ./cmd/vsphere-sim
	$(GO) build -o bin/function-clusterclaim ./functions/clusterclaim
	@mkdir -p _output/xpkg _output/images
	$(GO) build -o _output/bin/runtime-image ./cmd/runtime-image
	$(call runtime-xpkg,provider-capstan,package/provider,examples/provider,provider,./cmd/provider,8080/tcp 8081/tcp 9443/tcp)
	$(call runtime-xpkg,function-clusterclaim,package/function,examples/clusterclaim,function,./functions/clusterclaim,9443/tcp)
	$(CROSSPLANE_CLI) xpkg build --package-root=package/configuration --examples-root=examples/clusterclaim --package-file=_output/xpkg/configuration-clusterclaim.xpkg

# RENDER_ADDRESS is where `make render` serves the function for crossplane render.
RENDER_ADDRESS ?= 127.0.0.1:9446
# RENDER_REQUIRED holds the objects the example claims name (the function requires them): the
# default provider config, the simulated vCenter's and the platform's shared ClusterClass.
RENDER_REQUIRED ?= examples/provider/clusterproviderconfig.yaml functions/clusterclaim/testdata/vsphere-sim.yaml examples/platform/standard-class.yaml

# render-examples serves the function and renders every example claim into directory $(1), with
# extra crossplane render flags $(2).
define render-examples
	$(GO) build -o bin/function-clusterclaim ./functions/clusterclaim
	@mkdir -p $(1)
	@bin/function-clusterclaim --insecure --address=$(RENDER_ADDRESS) & pid=$$!; trap 'kill $$pid' EXIT; \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/$(subst :,/,$(RENDER_ADDRESS))) 2>/dev/null && break; sleep 0.1; done; \
	for xr in examples/clusterclaim/*.yaml; do \
		out=$(1)/$$(basename $$xr); \
		$(CROSSPLANE_CLI) composition render $$xr package/configuration/composition.yaml functions/clusterclaim/testdata/render/functions.yaml \
			--crossplane-binary=$(CROSSPLANE_CORE) --xrd=package/configuration/xrd.yaml $(2) \
			$(foreach f,$(RENDER_REQUIRED),--required-resources=$(f)) \
			--function-annotations=render.crossplane.io/runtime-development-target=$(RENDER_ADDRESS) > $$out; \
		echo "rendered $$xr -> $$out"; \
	done
endef

.PHONY: render
render: $(CROSSPLANE_CLI) $(CROSSPLANE_CORE) ## Render every examples/clusterclaim/*.yaml with crossplane render against the function served locally.
	$(call render-examples,_output/render,)

# VALIDATE_CACHE is crossplane resource validate's schema cache, seeded with core's own CRDs so that
# it never downloads them.
VALIDATE_CACHE := $(CURDIR)/.cache/validate
VALIDATE_CORE_SCHEMAS := $(VALIDATE_CACHE)/xpkg.crossplane.io/crossplane/crossplane@$(CROSSPLANE_VERSION)/package.yaml

$(VALIDATE_CORE_SCHEMAS): $(CROSSPLANE_CORE_CRDS)
	@mkdir -p $(dir $@)
	for f in $(dir $(CROSSPLANE_CORE_CRDS))*.yaml; do cat "$$f"; echo "---"; done > $@

.PHONY: validate
validate: $(CROSSPLANE_CLI) $(CROSSPLANE_CORE) $(VALIDATE_CORE_SCHEMAS) ## Validate every rendered example (full XR included) offline with crossplane resource validate against the XRD and the Cluster API and Capstan CRDs.
	$(call render-examples,_output/validate,--include-full-xr)
	$(CROSSPLANE_CLI) resource validate \
		package/configuration/xrd.yaml,cluster/crds/capi,cluster/crds/infrastructure,package/provider/crds \
		_output/validate --cache-dir=$(VALIDATE_CACHE) \
		--crossplane-image=xpkg.crossplane.io/crossplane/crossplane:$(CROSSPLANE_VERSION) \
		--error-on-missing-schemas --skip-success-results

.PHONY: lint
lint: tools ## Run golangci-lint with the house rules in .golangci.yml.
	golangci-lint run ./...

.PHONY: check-diff
check-diff: generate ## Fail when generated code or go.mod is stale.
	$(GO) mod tidy
	@git diff --exit-code -- . ':!.cache' || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- . ':!.cache' ':!bin')" || { git status --short; echo "untracked generated files: commit them"; exit 1; }

##@ Test

.PHONY: test
test: tools check-diff lint validate cross build test.upbound ## The README's test command: generated code, lint, validation of the rendered examples, darwin builds, unit, integration and end-to-end tests.
	$(GO) test $(GO_TEST_FLAGS) ./...
	$(E2E)

.PHONY: test.upbound
test.upbound: ## Check the project's Upbound files against up-sdk-go's own types (a module of its own: hack/tools/upbound).
	cd hack/tools/upbound && $(GO) test $(GO_TEST_FLAGS) ./...

# DARWIN_ARCHES are the macOS builds kept honest: only Linux runs the tests here. Vet type-checks
# every package and test for each; the build, which links every binary and takes most of the time,
# runs for the first only, as no Capstan file differs between the two.
DARWIN_ARCHES := arm64 amd64

.PHONY: cross
cross: ## Vet every package (tests and e2e included) for macOS on arm64 and amd64; build the binaries for arm64.
	@for arch in $(DARWIN_ARCHES); do \
		echo "darwin/$$arch: vet"; \
		GOOS=darwin GOARCH=$$arch $(GO) vet -tags e2e ./...; \
	done
	@echo "darwin/$(firstword $(DARWIN_ARCHES)): build"
	GOOS=darwin GOARCH=$(firstword $(DARWIN_ARCHES)) $(GO) build ./...

.PHONY: test.unit
test.unit: ## Unit tests only: -short skips every test that needs a management plane.
	$(GO) test -short $(GO_TEST_FLAGS) ./...

.PHONY: test.integration
test.integration: tools build ## Only the tests against a real local management plane (TestIntegration*).
	$(GO) test $(GO_TEST_FLAGS) -run '^TestIntegration' ./...

.PHONY: e2e
# The parallel e2e tests (vSphere, project, plan, health check, offboarding, cloud faults) mostly
# wait for machines to boot or retries to back off: run them all at once rather than GOMAXPROCS
# (2 here) at a time.
E2E = $(GO) test -tags e2e -count=1 -timeout 30m -parallel 8 -v $(GO_TEST_FLAGS) ./test/e2e/...

e2e: tools build ## End-to-end tests (test/e2e): the whole stack, installed from the packages make build writes, files ClusterClaims and follows them.
	$(E2E)

# SOAK_CLAIMS is how many ClusterClaims `make soak` files at once.
SOAK_CLAIMS ?= 20

.PHONY: soak
soak: tools build ## Soak (not part of make test): SOAK_CLAIMS claims at once on a cloud refusing 10% of calls, the provider killed twice and core once; prints times, leaks, duplicates, lost claims, peak RSS and restarts.
	$(GO) test -tags 'e2e soak' -count=1 -timeout 90m -v -run TestSoak ./test/e2e/ -args -soak.claims=$(SOAK_CLAIMS)

SCALE_CLAIMS ?= 25
# SCALE_FLAGS are more flags of the scale test, e.g. -scale.shared-class.
SCALE_FLAGS ?=

.PHONY: bench-scale
bench-scale: tools build ## Scale (not part of make test): SCALE_CLAIMS claims at once; prints claims Ready per minute, time to all Ready and each process's memory per cluster.
	$(GO) test -tags 'e2e scale' -count=1 -timeout 90m -v -run TestScale ./test/e2e/ -args -scale.claims=$(SCALE_CLAIMS) $(SCALE_FLAGS)

.PHONY: bench
bench: tools ## Run the benchmarks.
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The README's figures, one target each, so each runs as written.
.PHONY: bench.plane bench.cluster bench.provider bench.boot bench.function bench.create bench.peer bench.plan
bench.plane: stack-tools ## Figure: management plane start (etcd, kube-apiserver, kube-controller-manager).
	$(GO) test -run '^$$' -bench IntegrationStart -benchtime 5x ./internal/localplane/
bench.cluster: stack-tools ## Figure: a Cluster API Cluster created -> Available, and the manager's peak RSS.
	$(GO) test -run '^$$' -bench ClusterAvailable -benchtime 1x ./internal/controller/capi/
bench.provider: stack-tools ## Figure: Instances created -> Ready, one and in bulk.
	$(GO) test -run '^$$' -bench BenchmarkProvider -benchtime 1x ./internal/controller/
bench.boot: ## Figure: one in-memory worker boot.
	$(GO) test -run '^$$' -bench BenchmarkWorkerBoot -benchtime 1000x ./internal/cloud/inmemory/
bench.function: ## Figure: RunFunction for 1, 3 and 10 worker pools.
	$(GO) test -run '^$$' -bench RunFunction -benchmem -count 5 ./functions/clusterclaim/fn/

bench.create: tools build ## Figure: a claim (1 control plane + 1 worker) filed -> Ready, and a Cluster API Cluster of the same topology -> Available, in one run, with their ratio.
	$(GO) test -tags e2e -run '^$$' -bench Create -benchtime 3x -timeout 30m ./test/e2e/
bench.plan: tools build ## Figure: capstan plan of a version upgrade of a claim of 3 control-plane machines and 3 workers.
	$(GO) test -tags e2e -run '^$$' -bench PlanVersionBump -benchtime 5x -timeout 30m ./test/e2e/

# GO_TEMPLATING_GIT is the git repository (URL or path) bench.peer fetches function-go-templating
# from, as the module proxy refuses its .mod and .zip (docs/adr/0006-peer-benchmark-from-git.md):
# a local mirror when there is one. Empty, go asks the module proxy (or finds it in its cache).
GO_TEMPLATING_MODULE := github.com/crossplane-contrib/function-go-templating
GO_TEMPLATING_MIRROR := /work/.mirror/crossplane-contrib+function-go-templating/repo
GO_TEMPLATING_GIT ?= $(wildcard $(GO_TEMPLATING_MIRROR))
GO_TEMPLATING_ENV := $(if $(GO_TEMPLATING_GIT),GONOPROXY=$(GO_TEMPLATING_MODULE) GONOSUMDB=$(GO_TEMPLATING_MODULE) \
	GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=url.$(GO_TEMPLATING_GIT).insteadOf GIT_CONFIG_VALUE_0=https://$(GO_TEMPLATING_MODULE))

bench.peer: ## Figure: the function against function-go-templating v0.9.2 over gRPC, for 1, 3 and 10 worker pools (not part of make test).
	cd hack/tools/gotemplating/bench && $(GO_TEMPLATING_ENV) $(GO) test -run '^$$' -bench Peer -benchmem -count 5 .

##@ Run

.PHONY: up
up: stack-tools build ## Start a local management plane with Crossplane, installing Capstan's packages (make build); Ctrl-C or 'bin/capstan down' stops it.
	bin/capstan up

.PHONY: demo
demo: stack-tools build ## Start everything from Capstan's packages, file examples/clusterclaim/basic.yaml and show it coming up; Ctrl-C stops it all.
	bin/capstan up --claim examples/clusterclaim/basic.yaml

.PHONY: demo-vsphere
demo-vsphere: stack-tools build ## As demo, with a simulated vCenter beside the stack: file examples/clusterclaim/vsphere.yaml, whose machines are its VMs.
	bin/capstan up --vsphere-sim --claim examples/clusterclaim/vsphere.yaml

.PHONY: clean
clean: ## Remove build output (keeps the tool store).
	rm -rf bin/
