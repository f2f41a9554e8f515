# The post-mortem models arrive with the post-mortems issue.
