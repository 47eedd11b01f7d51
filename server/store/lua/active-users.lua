-- activeUsers: ARGV[4..9] the page query (see pageQuery).
return cjson.encode(page(pageQuery(4)))
