"""Generic REST plumbing shared by the apps' APIs (pagination, permissions, errors,
schema). Like a library: it knows no app, and any app may use it."""
