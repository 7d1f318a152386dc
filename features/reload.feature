@reload
Feature: Hot reload on the live cluster
  A trader changes the config while the stack runs. Both services must apply a
  good config within a second, refuse a bad one while they keep running the
  last good one, and a pod that is replaced must come back on the latest config.

  Background:
    Given orchestrator and scanner are running

  Scenario: Both services report the new config hash after a reload
    When I reload with "trading.max_positions=7"
    Then both services report the new config hash
    And the reload took less than 2 seconds

  Scenario: An invalid config is rejected and both keep running the old one
    When a config with "trading.max_positions = 0" is written into the config volume
    Then both services log "Config reload rejected" naming "trading.max_positions"
    And both services still report the previous config hash
    And both services are still ready

  Scenario: The toolkit never lets an invalid config reach the cluster
    When I reload with "trading.max_positions=0"
    Then the reload is refused naming "trading.max_positions"
    And the config volume still holds the previous config

  Scenario: The scanner applies a change written with no signal
    When the config with "scanner.interval_s=30" is written into the volume without a signal
    Then the scanner reports the new config hash

  Scenario: A deleted orchestrator pod comes back running the latest config
    Given a reload with "scanner.workers=6" has been confirmed
    When I delete the orchestrator pod
    Then a new orchestrator pod runs the latest config hash

  Scenario: Deploying twice changes nothing the second time
    When I deploy the stack again
    Then no object, image or config was changed
    And no pod was replaced or restarted

  Scenario: The orchestrator applies a new config on SIGUSR1 alone
    Given an orchestrator that does not watch the config folder
    When the config with "scanner.max_results=77" is written into the volume without a signal
    Then that orchestrator still runs the previous config
    When I send SIGUSR1 to that orchestrator
    Then it runs the new config within 1 second
