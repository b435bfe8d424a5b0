print("gic-convert")
