-- POST /v1/sip/attach with 100 fresh numbers per request (a trunk of 100 new numbers each time).
local counter = 0
request = function()
  counter = counter + 1
  local base = (tonumber(os.getenv("WRK_BASE") or "0") + counter) * 100
  local numbers = {}
  for i = 0, 99 do
    local n = base + i
    numbers[#numbers + 1] = string.format('"+1415%03d%04d"', 200 + math.floor(n / 10000) % 700, n % 10000)
  end
  local body = '{"phone_numbers":[' .. table.concat(numbers, ",") .. '],"directions":[{"type":"outbound","sip_endpoint":"pbx.example.com"}]}'
  return wrk.format("POST", "/v1/sip/attach", { ["Content-Type"] = "application/json", ["Authorization"] = wrk.headers["Authorization"] }, body)
end
