"""The Spark engines a local run can use: sessions (:mod:`.session`), the embedded Sail
server (:mod:`.sail`, started as :mod:`._sail_server`) and what each engine can do
(:mod:`.capabilities`).
"""
