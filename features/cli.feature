@cli
Feature: The trader's commands against the live cluster
  What a person types, run as a person runs it, in this run's namespace and
  with this run's config.

  Background:
    Given orchestrator and scanner are running

  Scenario: Reload from the command line
    When I run "invoke reload --set scanner.max_results=42 --json"
    Then the command succeeds
    And it reports both services on the config hash of the local file
    And "invoke status --json" reports every service ready on the local config

  Scenario: A bad value on the command line changes nothing
    When I run "invoke reload --set trading.max_positions=500"
    Then the command fails with exit code 2 naming "trading.max_positions"
    And the config volume still holds the previous config

  Scenario: The toolkit needs only its namespaced Role
    Given a connection that acts as the toolkit's service account
    When I reload with "scanner.workers=3" through that connection
    Then both services report the new config hash

  Scenario: Logs of every service, followed together
    When I follow "invoke logs -f --since 1h --tail 20" until every service has printed a line
    Then each line names its service
