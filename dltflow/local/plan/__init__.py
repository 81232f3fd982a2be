"""From declared datasets to an execution plan: the registry the definitions fill
(:mod:`.registry`), the plan in dependency order (:mod:`.build`), each dataset's flows
(:mod:`.flows`), the inputs a query reads (:mod:`.inputs`), stateful operators
(:mod:`.stateful`), what an engine refuses (:mod:`.refusal`) and planning errors
(:mod:`.errors`).
"""
