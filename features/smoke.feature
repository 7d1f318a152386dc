@smoke
Feature: Foundation Smoke Tests
  The plan's two smoke tests (§1.5), as written. On Linux and in CI the local
  single-node cluster stands in for Docker Desktop's Kubernetes; the step says
  which provider it found.

  Scenario: Docker & K8s startup
    Given Docker Desktop is running with Kubernetes enabled
    When I apply all manifests in deploy/
    Then all pods (orchestrator, scanner, etc.) enter Running state

  Scenario: Config reload
    Given orchestrator and scanner are running
    When I update config/config.toml
    And send SIGUSR1 to orchestrator container
    Then each service logs "Config reloaded"
