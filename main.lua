local A = dofile("/work/main/bindings/luajit/tests/../importkit.lua")
local B = dofile("/work/main/bindings/luajit/tests/../importkit.lua")
local ra = A.runtime{ mounts = { app = { ["init.lua"] = "return 1" } } }
local rb = B.runtime{ mounts = { app = { ["init.lua"] = "return 2" } } }
print("values", ra:import("app"), rb:import("app"))
print("watch", pcall(ra.watch, ra), pcall(rb.watch, rb))
