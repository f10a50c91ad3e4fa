"""The carbon console (碳达峰碳中和数据监测分析管理系统): a read-only web app over the marts.

``warehouse`` serves reads from a published snapshot of the last complete build, ``auth`` holds
users, roles and the ONE authorisation point, ``app`` the FastAPI routes, ``cli`` ``carbon serve``.
"""
