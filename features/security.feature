@security
Feature: The stack runs locked down
  Its namespace admits only pods that meet Pod Security `restricted`: no root, no
  added capability, no host namespaces. The one pod that needs root (giving the
  config volume to the writer, once) ran under `baseline` before anything else.

  Scenario: The stack's namespace refuses a pod that asks for root
    Given orchestrator and scanner are running
    Then the stack's namespace enforces Pod Security "restricted"
    And a pod that asks for root is refused there
    And the config volume was given to the writer once, by a pod that is gone
