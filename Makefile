# switchboard-operator Makefile. `make help` lists the targets.

# Image built by `make image` and used by deploy.
IMG ?= switchboard-operator:dev

# Go modules of their own beside the operator's (tests and tools with heavy dependencies):
# fmt, vet, lint, verify and test run in each.
NESTED_MODULES ?= test/chart test/prometheus hack/image
# The Helm chart; `make manifests` copies the CRDs and the manager's ClusterRole into it.
CHART_DIR ?= charts/switchboard-operator

# Versions of the tools this project builds from the Go module proxy.
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
ENVTEST_K8S_VERSION ?= 1.37.2
ENVTEST_ETCD_VERSION ?= 3.6.16

# Fuzz time per target for `make fuzz`.
FUZZTIME ?= 30s
# Number of objects for `make bench`.
BENCH_N ?= 1000

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

LOCALBIN ?= $(shell pwd)/bin
GOOS := $(shell go env GOOS)
GOARCH := $(shell go env GOARCH)
ENVTEST_ASSETS ?= $(if $(KUBEBUILDER_ASSETS),$(KUBEBUILDER_ASSETS),$(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)-$(GOOS)-$(GOARCH))
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC from the kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases
	rm -f $(CHART_DIR)/crds/*.yaml && cp config/crd/bases/*.yaml $(CHART_DIR)/crds/
	cp config/rbac/role.yaml $(CHART_DIR)/files/manager-role.yaml

.PHONY: generate
# The object generator of controller-gen v0.23.0 does not resolve type aliases (such as
# api/v1alpha1.MetadataValue, an alias of string); without alias types it sees the string.
generate: controller-gen ## Generate DeepCopy methods.
	GODEBUG=gotypesalias=0 $(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...
	@for m in $(NESTED_MODULES); do (cd $$m && go fmt ./...); done

.PHONY: vet
vet: ## Run go vet.
	go vet ./...
	@for m in $(NESTED_MODULES); do (cd $$m && go vet ./...); done

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (configuration in .golangci.yml).
	$(GOLANGCI_LINT) run ./...
	@for m in $(NESTED_MODULES); do (cd $$m && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...); done

.PHONY: verify
verify: manifests generate fmt ## Regenerate everything and fail if the tree changed.
	go mod tidy
	@for m in $(NESTED_MODULES); do (cd $$m && go mod tidy); done
	@if [ -n "$$(git status --porcelain -- . ':!bin')" ]; then \
		echo "make verify: generated files or formatting are out of date:"; git status --porcelain -- . ':!bin'; git --no-pager diff --stat; exit 1; \
	fi

.PHONY: test
test: manifests generate fmt vet envtest ## Run unit tests, the envtest suite and the conformance checks.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -race -coverprofile $(LOCALBIN)/cover.out
	@# The image test compiles the manager with CGO_ENABLED=0, a build of its own.
	@set -e; for m in $(NESTED_MODULES); do echo "go test ./... in $$m"; (cd $$m && go test -count=1 -timeout 30m ./...); done

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each.
	@set -e; for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzzing $$pkg $$target for $(FUZZTIME)"; \
			go test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME); \
		done; \
	done

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary into bin/manager.
	go build -o $(LOCALBIN)/manager .

.PHONY: plugin
plugin: ## Build the kubectl plugin into bin/kubectl-switchboard (with bin/ on the PATH: kubectl switchboard).
	go build -o $(LOCALBIN)/kubectl-switchboard ./cmd/kubectl-switchboard

.PHONY: run
run: manifests generate fmt vet ## Run the manager from your host against the current kubeconfig.
	go run ./main.go

# Where `make image` writes, and what it stamps into the image's labels.
IMAGE_DIR ?= $(LOCALBIN)/image
IMAGE_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
IMAGE_CREATED ?= $(shell git log -1 --format=%cI 2>/dev/null)

.PHONY: image
image: ## Build the manager's OCI image (IMG=...) without a container engine: bin/image/oci and bin/image/switchboard-operator.tar.
	cd hack/image && go run . --module $(CURDIR) --tag $(IMG) --goarch $(GOARCH) \
		--revision "$(IMAGE_REVISION)" --version "$(IMAGE_VERSION)" --created "$(IMAGE_CREATED)" \
		--layout $(IMAGE_DIR)/oci --tarball $(IMAGE_DIR)/switchboard-operator.tar

##@ Helm chart

.PHONY: helm-lint
helm-lint: ## Lint the chart with the Helm SDK and check its values schema (test/chart).
	cd test/chart && go test -count=1 -run 'TestChartPassesHelmLint|TestSchemaRejectsInvalidValues' ./...

.PHONY: helm-docs
helm-docs: ## Regenerate the values table of the chart's README from values.yaml.
	cd test/chart && UPDATE_CHART_README=1 go test -count=1 -run TestReadmeListsEveryValue ./...

##@ Deployment

.PHONY: install
install: manifests envtest ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests envtest ## Uninstall the CRDs from the cluster of the current kubeconfig.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests envtest ## Deploy the operator (IMG=...) to the cluster of the current kubeconfig.
	cd config/manager && $(KUBECTL) kustomize . >/dev/null
	$(KUBECTL) kustomize config/default | sed "s|image: controller:latest|image: $(IMG)|" | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: envtest ## Remove the operator from the cluster of the current kubeconfig.
	$(KUBECTL) kustomize config/default | $(KUBECTL) delete --ignore-not-found -f -

##@ Tools

.PHONY: envtest
envtest: ## Build kube-apiserver, kubectl and etcd from the Go module proxy into bin/k8s (skipped when present).
	K8S_VERSION=$(ENVTEST_K8S_VERSION) ETCD_VERSION=$(ENVTEST_ETCD_VERSION) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" hack/envtest/build.sh >/dev/null

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into bin/.
$(GOLANGCI_LINT):
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool installs package $2 at version $3 as the versioned binary $1.
define go-install-tool
@[ -f "$(1)" ] || { \
set -e; \
echo "Installing $(2)@$(3) into $(LOCALBIN)"; \
mkdir -p $(LOCALBIN); \
GOBIN=$(LOCALBIN) go install $(2)@$(3); \
mv "$(LOCALBIN)/$$(basename $(2))" "$(1)"; \
}
endef

##@ Demo

DEMO_ENV = K8S_VERSION=$(ENVTEST_K8S_VERSION) ETCD_VERSION=$(ENVTEST_ETCD_VERSION) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" KUBECTL="$(KUBECTL)"

.PHONY: demo
demo: ## Build, start a local control plane, the simulator and the operator, and walk through the handoffs with kubectl.
	$(DEMO_ENV) hack/demo.sh

.PHONY: dev
dev: ## Start the local control plane, the simulator and the operator and keep them running until Ctrl-C.
	$(DEMO_ENV) hack/dev.sh

.PHONY: test-demo
test-demo: demo ## Run the demo as a test: fails when any step fails.

##@ Benchmarks

# More flags for `make bench`, e.g. BENCH_FLAGS="-qps 20 -burst 30 -concurrency 16 -quiet 60s".
BENCH_FLAGS ?=

.PHONY: bench
bench: envtest ## Measure BENCH_N handoffs against envtest and the simulator, and a baseline; prints a table, writes bin/bench/.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench -n $(BENCH_N) -revision "$(IMAGE_REVISION)" $(BENCH_FLAGS)

# More flags for `make bench-drift`, e.g. BENCH_DRIFT_FLAGS="-drift-poll-interval 1m -drift-share 0.1".
BENCH_DRIFT_FLAGS ?=

.PHONY: bench-drift
bench-drift: envtest ## Drift: BENCH_N objects in sync, others move 20% of the conversations; time to InSync=False and vendor reads, polls only (5m) and with webhooks (about 10 minutes).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench -drift -n $(BENCH_N) -revision "$(IMAGE_REVISION)" $(BENCH_DRIFT_FLAGS)

# Steps of `make bench-scale`: ConversationControls the manager holds at each measurement.
BENCH_SCALE ?= 1000,10000,50000
# The container memory limit `make bench-scale` holds the manager to (the shipped
# resources.limits.memory); empty for none.
BENCH_SCALE_MEMORY_LIMIT ?= 768Mi

.PHONY: bench-scale
bench-scale: build envtest ## Memory of the real bin/manager with BENCH_SCALE objects (a process of its own, with the simulator program), and a restart.
	go build -o $(LOCALBIN)/sunshine-sim ./hack/sunshine-sim
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench -scale $(BENCH_SCALE) -revision "$(IMAGE_REVISION)" \
		-manager-bin $(LOCALBIN)/manager -simulator-bin $(LOCALBIN)/sunshine-sim -manager-memory-limit "$(BENCH_SCALE_MEMORY_LIMIT)" $(BENCH_FLAGS)

##@ Reliability

# Size of `make test-soak` (`make test` runs the soak in test/soak briefly, with 60 objects).
SOAK_OBJECTS ?= 300
SOAK_RESTARTS ?= 2
SOAK_TIMEOUT ?= 30m

# Sequences of `make test-model` (`make test` runs 200).
MODEL_CHECKS ?= 5000

.PHONY: test-model
test-model: ## Run the model-based test of the ConversationControl reconciler for MODEL_CHECKS random sequences; prints its seed.
	cd controllers && MODEL_CHECKS=$(MODEL_CHECKS) go test -count=1 -timeout 2h -run '^TestModel$$' -v .

.PHONY: test-soak
test-soak: manifests envtest ## Run the reliability soak (test/soak): SOAK_OBJECTS ConversationControls under API faults and SOAK_RESTARTS manager restarts; prints its figures.
	cd test/soak && SOAK_OBJECTS=$(SOAK_OBJECTS) SOAK_RESTARTS=$(SOAK_RESTARTS) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" \
		go test -count=1 -timeout $(SOAK_TIMEOUT) -ginkgo.label-filter=soak
