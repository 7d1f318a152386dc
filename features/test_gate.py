"""The acceptance gate: every scenario of every .feature file here, against the live cluster."""
from pytest_bdd import scenarios

scenarios(".")
