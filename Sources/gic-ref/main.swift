print("gic-ref")
