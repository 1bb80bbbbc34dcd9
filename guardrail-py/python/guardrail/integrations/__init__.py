"""Integrations with agent frameworks (optional extras).

- :mod:`guardrail.integrations.langchain`: ``pip install guardrail[langchain]``
- :mod:`guardrail.integrations.openai_agents`: ``pip install guardrail[openai-agents]``
"""
