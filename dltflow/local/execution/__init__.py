"""Executing a plan: the runner (:mod:`.runner`) walks the steps over one run context
(:mod:`.context`), each flow by its kind (:mod:`.flows`), every write checked against
its expectations (:mod:`.checked_write`); streaming views (:mod:`.stream_views`) and the
graph as events (:mod:`.definition_events`).
"""
