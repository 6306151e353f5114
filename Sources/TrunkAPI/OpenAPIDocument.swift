/// The OpenAPI 3.1 description of every route `siptrunk serve` answers, served at `GET /v1/openapi.json`.
/// `TrunkAPITests` fails when a route is missing from it or it lists one that does not exist; `.ci/run` runs
/// schemathesis against a live server with it.
enum OpenAPIDocument {
    static let bytes = Array(text.utf8)

    static let text = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "siptrunk /v1/sip API",
  "version": "1.0.0",
  "description": "The SIP trunk guide's API, served by `siptrunk serve`. Every response is an envelope {data, errors}."
 },
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "paths": {
  "/v1/sip": {
   "get": {
    "summary": "Get the SIP configuration of a number (credentials redacted)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "inbound": {
             "type": "object"
            },
            "outbound": {
             "type": "object"
            }
           },
           "required": [],
           "additionalProperties": true
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "phone_number",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^\\+[1-9][0-9]{6,14}$",
       "description": "E.164 number",
       "example": "+14155550101"
      }
     }
    ]
   }
  },
  "/v1/sip/attach": {
   "post": {
    "summary": "Attach SIP configuration to up to 100 numbers",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "configured": {
             "type": "array",
             "items": {
              "type": "object"
             }
            },
            "failed": {
             "type": "array",
             "items": {
              "type": "object"
             }
            },
            "register_password_for_pbx": {
             "type": [
              "string",
              "null"
             ]
            }
           },
           "required": [
            "configured",
            "failed"
           ],
           "additionalProperties": true
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "phone_number": {
          "type": "string",
          "pattern": "^\\+[1-9][0-9]{6,14}$",
          "description": "E.164 number",
          "example": "+14155550101"
         },
         "phone_numbers": {
          "type": "array",
          "items": {
           "type": "string",
           "pattern": "^\\+[1-9][0-9]{6,14}$",
           "description": "E.164 number",
           "example": "+14155550101"
          },
          "maxItems": 100
         },
         "trunk_id": {
          "type": "string"
         },
         "directions": {
          "type": "array",
          "items": {
           "type": "object",
           "properties": {
            "type": {
             "type": "string",
             "enum": [
              "inbound",
              "outbound"
             ]
            },
            "auth_mode": {
             "type": "string",
             "enum": [
              "ip",
              "register"
             ]
            },
            "register_auth": {
             "type": "object",
             "properties": {
              "username": {
               "type": "string"
              },
              "password": {
               "type": "string",
               "minLength": 8
              }
             },
             "required": [],
             "additionalProperties": false
            },
            "sip_endpoint": {
             "type": "string"
            },
            "headers": {
             "type": "object",
             "properties": {
              "direction": {
               "type": "string"
              },
              "headers": {
               "type": "array",
               "items": {
                "type": "object",
                "required": [
                 "type",
                 "key",
                 "value"
                ],
                "additionalProperties": false,
                "properties": {
                 "type": {
                  "type": "string",
                  "enum": [
                   "custom"
                  ]
                 },
                 "key": {
                  "type": "string"
                 },
                 "value": {
                  "type": "string"
                 }
                }
               }
              }
             },
             "required": [
              "headers"
             ],
             "additionalProperties": false
            },
            "options": {
             "type": "object",
             "properties": {
              "port": {
               "type": "integer",
               "minimum": 1,
               "maximum": 65535
              },
              "transport": {
               "type": "string",
               "enum": [
                "udp",
                "tcp",
                "tls"
               ]
              },
              "secure_media": {
               "type": "boolean"
              },
              "sip_username": {
               "type": "string"
              },
              "sip_password": {
               "type": "string"
              }
             },
             "required": [],
             "additionalProperties": false
            }
           },
           "required": [
            "type"
           ],
           "additionalProperties": false
          },
          "minItems": 1
         }
        },
        "required": [
         "directions"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/update": {
   "post": {
    "summary": "Update one direction of a number",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "register_password_for_pbx": {
             "type": [
              "string",
              "null"
             ]
            }
           },
           "required": [
            "register_password_for_pbx"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "phone_number": {
          "type": "string",
          "pattern": "^\\+[1-9][0-9]{6,14}$",
          "description": "E.164 number",
          "example": "+14155550101"
         },
         "updates": {
          "type": "object",
          "properties": {
           "type": {
            "type": "string",
            "enum": [
             "inbound",
             "outbound"
            ]
           },
           "auth_mode": {
            "type": "string",
            "enum": [
             "ip",
             "register"
            ]
           },
           "register_auth": {
            "type": "object",
            "properties": {
             "username": {
              "type": "string"
             },
             "password": {
              "type": "string",
              "minLength": 8
             }
            },
            "required": [],
            "additionalProperties": false
           },
           "sip_endpoint": {
            "type": "string"
           },
           "headers": {
            "type": "object",
            "properties": {
             "direction": {
              "type": "string"
             },
             "headers": {
              "type": "array",
              "items": {
               "type": "object",
               "required": [
                "type",
                "key",
                "value"
               ],
               "additionalProperties": false,
               "properties": {
                "type": {
                 "type": "string",
                 "enum": [
                  "custom"
                 ]
                },
                "key": {
                 "type": "string"
                },
                "value": {
                 "type": "string"
                }
               }
              }
             }
            },
            "required": [
             "headers"
            ],
            "additionalProperties": false
           },
           "options": {
            "type": "object",
            "properties": {
             "port": {
              "type": "integer",
              "minimum": 1,
              "maximum": 65535
             },
             "transport": {
              "type": "string",
              "enum": [
               "udp",
               "tcp",
               "tls"
              ]
             },
             "secure_media": {
              "type": "boolean"
             },
             "sip_username": {
              "type": "string"
             },
             "sip_password": {
              "type": "string"
             }
            },
            "required": [],
            "additionalProperties": false
           }
          },
          "required": [
           "type"
          ],
          "additionalProperties": false
         }
        },
        "required": [
         "phone_number",
         "updates"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/detach": {
   "post": {
    "summary": "Remove SIP configuration from a number",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "phone_number": {
             "type": "string"
            },
            "detached": {
             "type": "array",
             "items": {
              "type": "string"
             }
            }
           },
           "required": [
            "phone_number",
            "detached"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "phone_number": {
          "type": "string",
          "pattern": "^\\+[1-9][0-9]{6,14}$",
          "description": "E.164 number",
          "example": "+14155550101"
         },
         "directions": {
          "type": "array",
          "items": {
           "type": "string",
           "enum": [
            "inbound",
            "outbound"
           ]
          }
         },
         "service": {
          "type": "string",
          "enum": [
           "sip"
          ]
         }
        },
        "required": [
         "phone_number"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/numbers": {
   "get": {
    "summary": "List SIP-configured numbers",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "numbers": {
             "type": "array",
             "items": {
              "type": "object",
              "properties": {
               "phone_number": {
                "type": "string"
               },
               "directions": {
                "type": "array",
                "items": {
                 "type": "string"
                }
               },
               "sip_endpoint": {
                "type": "string"
               },
               "health_status": {
                "type": "string"
               },
               "trunk_id": {
                "type": "string"
               }
              },
              "required": [
               "phone_number",
               "directions",
               "health_status"
              ],
              "additionalProperties": true
             }
            }
           },
           "required": [
            "numbers"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/parse-destination": {
   "post": {
    "summary": "Check a SIP server address",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "scheme": {
             "type": "string"
            },
            "user": {
             "type": [
              "string",
              "null"
             ]
            },
            "host": {
             "type": "string"
            },
            "port": {
             "type": [
              "integer",
              "null"
             ]
            },
            "transport": {
             "type": [
              "string",
              "null"
             ]
            }
           },
           "required": [
            "scheme",
            "user",
            "host",
            "port",
            "transport"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "destination": {
          "type": "string"
         }
        },
        "required": [
         "destination"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/discover": {
   "post": {
    "summary": "Start auto-discovery of a PBX (poll the status)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "discovery_id",
            "status",
            "host",
            "attempts",
            "started_at"
           ],
           "properties": {
            "discovery_id": {
             "type": "string"
            },
            "status": {
             "type": "string",
             "enum": [
              "running",
              "completed",
              "failed"
             ]
            },
            "host": {
             "type": "string"
            },
            "resolved_addresses": {
             "type": "array",
             "items": {
              "type": "string"
             }
            },
            "srv_records": {
             "type": "array",
             "items": {
              "type": "string"
             }
            },
            "attempts": {
             "type": "array",
             "items": {
              "type": "object"
             }
            },
            "recommended": {
             "type": "object"
            },
            "error": {
             "type": "object"
            },
            "started_at": {
             "type": "string"
            },
            "completed_at": {
             "type": "string"
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "host": {
          "type": "string"
         },
         "port": {
          "type": "integer",
          "minimum": 1,
          "maximum": 65535
         },
         "transport": {
          "type": "string",
          "enum": [
           "udp",
           "tcp",
           "tls"
          ]
         }
        },
        "required": [
         "host"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/discover/status": {
   "get": {
    "summary": "Poll a discovery (kept 10 minutes)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "discovery_id",
            "status",
            "host",
            "attempts",
            "started_at"
           ],
           "properties": {
            "discovery_id": {
             "type": "string"
            },
            "status": {
             "type": "string",
             "enum": [
              "running",
              "completed",
              "failed"
             ]
            },
            "host": {
             "type": "string"
            },
            "resolved_addresses": {
             "type": "array",
             "items": {
              "type": "string"
             }
            },
            "srv_records": {
             "type": "array",
             "items": {
              "type": "string"
             }
            },
            "attempts": {
             "type": "array",
             "items": {
              "type": "object"
             }
            },
            "recommended": {
             "type": "object"
            },
            "error": {
             "type": "object"
            },
            "started_at": {
             "type": "string"
            },
            "completed_at": {
             "type": "string"
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "discovery_id",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/sip/test-call": {
   "post": {
    "summary": "Start a test call to a number's outbound endpoint (10 per 15 minutes)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "call_id": {
             "type": "string"
            },
            "message": {
             "type": "string"
            }
           },
           "required": [
            "call_id",
            "message"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "phone_number": {
          "type": "string",
          "pattern": "^\\+[1-9][0-9]{6,14}$",
          "description": "E.164 number",
          "example": "+14155550101"
         }
        },
        "required": [
         "phone_number"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/v1/sip/test-call/status": {
   "get": {
    "summary": "Poll a test call: status, result, timeline and SIP trace",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "call_id",
            "status",
            "result",
            "timeline",
            "trace"
           ],
           "properties": {
            "call_id": {
             "type": "string"
            },
            "phone_number": {
             "type": "string"
            },
            "status": {
             "type": "string",
             "enum": [
              "queued",
              "initiated",
              "ringing",
              "in-progress",
              "completed",
              "failed",
              "busy",
              "no-answer"
             ]
            },
            "result": {
             "type": "string",
             "enum": [
              "connected",
              "failed",
              "busy",
              "no_answer",
              "pending"
             ]
            },
            "sip_code": {
             "type": "integer"
            },
            "duration_seconds": {
             "type": "number"
            },
            "timeline": {
             "type": "array",
             "items": {
              "type": "object",
              "properties": {
               "event": {
                "type": "string"
               },
               "at": {
                "type": "string"
               },
               "detail": {
                "type": "string"
               }
              },
              "required": [
               "event",
               "at",
               "detail"
              ],
              "additionalProperties": false
             }
            },
            "media": {
             "type": "object"
            },
            "trace": {
             "type": "array",
             "items": {
              "type": "object",
              "properties": {
               "at": {
                "type": "string"
               },
               "direction": {
                "type": "string",
                "enum": [
                 "sent",
                 "received"
                ]
               },
               "transport": {
                "type": "string"
               },
               "local": {
                "type": "string"
               },
               "remote": {
                "type": "string"
               },
               "summary": {
                "type": "string"
               },
               "message": {
                "type": "string"
               }
              },
              "required": [
               "at",
               "direction",
               "message"
              ],
              "additionalProperties": true
             }
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "call_id",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/sip/firewall-ips": {
   "get": {
    "summary": "This deployment's signalling addresses, ports and RTP range",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object"
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "region",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/sip/outbound-setup": {
   "get": {
    "summary": "What to configure on the PBX for a number",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object"
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "phone_number",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^\\+[1-9][0-9]{6,14}$",
       "description": "E.164 number",
       "example": "+14155550101"
      }
     },
     {
      "name": "region",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/sip/status": {
   "get": {
    "summary": "Health of a number's outbound endpoint",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "phone_number": {
             "type": "string"
            },
            "status": {
             "type": "string",
             "enum": [
              "healthy",
              "degraded",
              "unreachable",
              "unchecked"
             ]
            },
            "response_time_ms": {
             "type": [
              "number",
              "null"
             ]
            },
            "checked_at": {
             "type": [
              "string",
              "null"
             ]
            }
           },
           "required": [
            "phone_number",
            "status",
            "response_time_ms",
            "checked_at"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "phone_number",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^\\+[1-9][0-9]{6,14}$",
       "description": "E.164 number",
       "example": "+14155550101"
      }
     }
    ]
   }
  },
  "/v1/sip/calls": {
   "get": {
    "summary": "A number's call logs, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "calls": {
             "type": "array",
             "items": {
              "type": "object",
              "properties": {
               "call_id": {
                "type": "string"
               },
               "direction": {
                "type": "string"
               },
               "from": {
                "type": [
                 "string",
                 "null"
                ]
               },
               "to": {
                "type": [
                 "string",
                 "null"
                ]
               },
               "status": {
                "type": "string"
               },
               "sip_code": {
                "type": [
                 "integer",
                 "null"
                ]
               },
               "duration_seconds": {
                "type": [
                 "number",
                 "null"
                ]
               },
               "started_at": {
                "type": "string"
               },
               "ended_at": {
                "type": [
                 "string",
                 "null"
                ]
               },
               "source_ip": {
                "type": [
                 "string",
                 "null"
                ]
               }
              },
              "required": [
               "call_id",
               "direction",
               "from",
               "to",
               "status",
               "sip_code",
               "duration_seconds",
               "started_at",
               "ended_at",
               "source_ip"
              ],
              "additionalProperties": false
             }
            },
            "next_before": {
             "type": [
              "string",
              "null"
             ]
            },
            "total": {
             "type": "integer"
            }
           },
           "required": [
            "calls",
            "total"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "phone_number",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^\\+[1-9][0-9]{6,14}$",
       "description": "E.164 number",
       "example": "+14155550101"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      }
     },
     {
      "name": "before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "the last call_id of the previous page"
     }
    ]
   }
  },
  "/v1/sip/calls/{call_id}/trace": {
   "get": {
    "summary": "Every stored SIP message of a call",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "call_id": {
             "type": "string"
            },
            "messages": {
             "type": "array",
             "items": {
              "type": "object",
              "properties": {
               "at": {
                "type": "string"
               },
               "direction": {
                "type": "string",
                "enum": [
                 "sent",
                 "received"
                ]
               },
               "transport": {
                "type": "string"
               },
               "local": {
                "type": "string"
               },
               "remote": {
                "type": "string"
               },
               "summary": {
                "type": "string"
               },
               "message": {
                "type": "string"
               }
              },
              "required": [
               "at",
               "direction",
               "message"
              ],
              "additionalProperties": true
             }
            }
           },
           "required": [
            "call_id",
            "messages"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "call_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/v1/sip/config": {
   "get": {
    "summary": "Advanced configuration (failover, codecs, alerts) of one direction",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object"
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "parameters": [
     {
      "name": "phone_number",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^\\+[1-9][0-9]{6,14}$",
       "description": "E.164 number",
       "example": "+14155550101"
      }
     },
     {
      "name": "direction",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "enum": [
        "inbound",
        "outbound"
       ],
       "default": "outbound"
      }
     }
    ]
   },
   "patch": {
    "summary": "Update advanced configuration",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object"
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "phone_number": {
          "type": "string",
          "pattern": "^\\+[1-9][0-9]{6,14}$",
          "description": "E.164 number",
          "example": "+14155550101"
         },
         "direction": {
          "type": "string",
          "enum": [
           "inbound",
           "outbound"
          ]
         },
         "failover_config": {
          "type": "object",
          "properties": {
           "enabled": {
            "type": "boolean"
           },
           "endpoints": {
            "type": "array",
            "maxItems": 3,
            "items": {
             "type": "object",
             "properties": {
              "host": {
               "type": "string"
              },
              "port": {
               "type": "integer"
              },
              "transport": {
               "type": "string"
              },
              "priority": {
               "type": "integer"
              }
             },
             "required": [
              "host",
              "priority"
             ],
             "additionalProperties": false
            }
           },
           "triggers": {
            "type": "array",
            "items": {
             "type": "string",
             "enum": [
              "unreachable",
              "auth_failure",
              "timeout"
             ]
            }
           },
           "failback": {
            "type": "string",
            "enum": [
             "auto",
             "manual"
            ]
           }
          },
          "required": [
           "enabled",
           "endpoints",
           "triggers",
           "failback"
          ],
          "additionalProperties": false
         },
         "codec_config": {
          "type": "object",
          "properties": {
           "codecs": {
            "type": "array",
            "items": {
             "type": "string",
             "enum": [
              "PCMU",
              "PCMA",
              "G.729",
              "Opus",
              "G.722"
             ]
            }
           },
           "transcode": {
            "type": "boolean"
           }
          },
          "required": [
           "codecs",
           "transcode"
          ],
          "additionalProperties": false
         },
         "alert_config": {
          "type": "object",
          "properties": {
           "enabled": {
            "type": "boolean"
           },
           "thresholds": {
            "type": "object",
            "properties": {
             "unreachable_minutes": {
              "type": "integer"
             },
             "failure_rate_percent": {
              "type": "integer"
             },
             "failure_rate_window_minutes": {
              "type": "integer"
             },
             "response_time_ms": {
              "type": "integer"
             }
            },
            "required": [],
            "additionalProperties": false
           },
           "channels": {
            "type": "object",
            "properties": {
             "email": {
              "type": "string"
             },
             "sms": {
              "type": "string"
             },
             "webhook": {
              "type": "string"
             }
            },
            "required": [],
            "additionalProperties": false
           }
          },
          "required": [
           "enabled",
           "thresholds",
           "channels"
          ],
          "additionalProperties": false
         }
        },
        "required": [
         "phone_number",
         "direction"
        ],
        "additionalProperties": false
       }
      }
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "summary": "Liveness",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "properties": {
            "status": {
             "type": "string",
             "enum": [
              "ok"
             ]
            }
           },
           "required": [
            "status"
           ],
           "additionalProperties": false
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "405": {
      "$ref": "#/components/responses/Error"
     }
    },
    "security": []
   }
  },
  "/v1/openapi.json": {
   "get": {
    "summary": "This document",
    "security": [],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "405": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/check": {
   "get": {
    "summary": "Portability, number type and PIN rule of up to 100 numbers",
    "parameters": [
     {
      "name": "phone_numbers[]",
      "in": "query",
      "required": true,
      "schema": {
       "type": "array",
       "items": {
        "type": "string",
        "pattern": "^\\+[1-9][0-9]{6,14}$",
        "example": "+14155550101"
       }
      },
      "style": "form",
      "explode": true
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "results"
           ],
           "properties": {
            "results": {
             "type": "array",
             "items": {
              "type": "object",
              "additionalProperties": false,
              "required": [
               "phone_number",
               "portable",
               "number_type",
               "pin_required",
               "reason"
              ],
              "properties": {
               "phone_number": {
                "type": "string"
               },
               "portable": {
                "type": "boolean"
               },
               "number_type": {
                "type": "string"
               },
               "pin_required": {
                "type": "boolean"
               },
               "reason": {
                "type": [
                 "string",
                 "null"
                ]
               }
              }
             }
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/document": {
   "post": {
    "summary": "Upload a proof of ownership (PDF, PNG or JPEG, at most 10 MB), as a multipart part named file",
    "requestBody": {
     "required": true,
     "content": {
      "multipart/form-data": {
       "schema": {
        "type": "object",
        "required": [
         "file"
        ],
        "properties": {
         "file": {
          "type": "string",
          "format": "binary"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "document_sid",
            "file_name",
            "media_type",
            "size",
            "sha256"
           ],
           "properties": {
            "document_sid": {
             "type": "string"
            },
            "file_name": {
             "type": "string"
            },
            "media_type": {
             "type": "string",
             "enum": [
              "application/pdf",
              "image/png",
              "image/jpeg"
             ]
            },
            "size": {
             "type": "integer"
            },
            "sha256": {
             "type": "string"
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/initiate": {
   "post": {
    "summary": "Request a port (the target date at least 7 days ahead)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "phone_numbers",
         "losing_carrier_information",
         "target_port_date",
         "documents"
        ],
        "properties": {
         "phone_numbers": {
          "type": "array",
          "items": {
           "type": "string",
           "pattern": "^\\+[1-9][0-9]{6,14}$",
           "example": "+14155550101"
          },
          "minItems": 1,
          "maxItems": 100
         },
         "losing_carrier_information": {
          "type": "object",
          "additionalProperties": false,
          "required": [
           "customer_type",
           "first_name",
           "last_name",
           "account_number",
           "authorized_representative_email",
           "address"
          ],
          "properties": {
           "customer_type": {
            "type": "string",
            "enum": [
             "business",
             "personal"
            ]
           },
           "business_name": {
            "type": "string"
           },
           "first_name": {
            "type": "string"
           },
           "last_name": {
            "type": "string"
           },
           "account_number": {
            "type": "string"
           },
           "authorized_representative_email": {
            "type": "string",
            "format": "email"
           },
           "notification_emails": {
            "type": "array",
            "items": {
             "type": "string",
             "format": "email"
            }
           },
           "address": {
            "type": "object",
            "additionalProperties": false,
            "required": [
             "street",
             "city",
             "state",
             "zip",
             "country"
            ],
            "properties": {
             "street": {
              "type": "string"
             },
             "street2": {
              "type": "string"
             },
             "city": {
              "type": "string"
             },
             "state": {
              "type": "string"
             },
             "zip": {
              "type": "string"
             },
             "country": {
              "type": "string"
             }
            }
           }
          }
         },
         "target_port_date": {
          "type": "string",
          "format": "date"
         },
         "documents": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "minItems": 1
         },
         "pin": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "port_request_id",
            "status",
            "signature_url",
            "phone_numbers"
           ],
           "properties": {
            "port_request_id": {
             "type": "string"
            },
            "status": {
             "type": "string",
             "enum": [
              "waiting_for_signature"
             ]
            },
            "signature_url": {
             "type": [
              "string",
              "null"
             ]
            },
            "phone_numbers": {
             "type": "array",
             "items": {
              "type": "string"
             }
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port": {
   "get": {
    "summary": "Port requests, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "port_requests"
           ],
           "properties": {
            "port_requests": {
             "type": "array",
             "items": {
              "type": "object",
              "required": [
               "id",
               "status",
               "phone_numbers",
               "authorized_rep_email",
               "notification_emails",
               "created_at",
               "updated_at"
              ],
              "properties": {
               "id": {
                "type": "string"
               },
               "status": {
                "type": "string",
                "enum": [
                 "waiting_for_signature",
                 "submitted",
                 "in_progress",
                 "completed",
                 "canceled",
                 "failed"
                ]
               },
               "phone_numbers": {
                "type": "array",
                "items": {
                 "type": "object",
                 "required": [
                  "number",
                  "status"
                 ],
                 "properties": {
                  "number": {
                   "type": "string"
                  },
                  "status": {
                   "type": "string"
                  }
                 }
                }
               },
               "authorized_rep_email": {
                "type": "string"
               },
               "notification_emails": {
                "type": "array",
                "items": {
                 "type": "string"
                }
               },
               "target_port_date": {
                "type": "string"
               },
               "foc_date": {
                "type": "string"
               },
               "failure_reason": {
                "type": "string"
               },
               "documents": {
                "type": "array",
                "items": {
                 "type": "string"
                }
               },
               "history": {
                "type": "array",
                "items": {
                 "type": "object"
                }
               },
               "created_at": {
                "type": "string"
               },
               "updated_at": {
                "type": "string"
               }
              }
             }
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/{id}": {
   "delete": {
    "summary": "Cancel a port request that has not completed",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "errors"
         ],
         "properties": {
          "data": {
           "type": "object",
           "required": [
            "canceled",
            "port_request"
           ],
           "properties": {
            "canceled": {
             "type": "boolean"
            },
            "port_request": {
             "type": "object",
             "required": [
              "id",
              "status",
              "phone_numbers",
              "authorized_rep_email",
              "notification_emails",
              "created_at",
              "updated_at"
             ],
             "properties": {
              "id": {
               "type": "string"
              },
              "status": {
               "type": "string",
               "enum": [
                "waiting_for_signature",
                "submitted",
                "in_progress",
                "completed",
                "canceled",
                "failed"
               ]
              },
              "phone_numbers": {
               "type": "array",
               "items": {
                "type": "object",
                "required": [
                 "number",
                 "status"
                ],
                "properties": {
                 "number": {
                  "type": "string"
                 },
                 "status": {
                  "type": "string"
                 }
                }
               }
              },
              "authorized_rep_email": {
               "type": "string"
              },
              "notification_emails": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "target_port_date": {
               "type": "string"
              },
              "foc_date": {
               "type": "string"
              },
              "failure_reason": {
               "type": "string"
              },
              "documents": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "history": {
               "type": "array",
               "items": {
                "type": "object"
               }
              },
              "created_at": {
               "type": "string"
              },
              "updated_at": {
               "type": "string"
              }
             }
            }
           }
          },
          "errors": {
           "type": "null"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "401": {
      "$ref": "#/components/responses/Error"
     },
     "403": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/sign/{token}": {
   "get": {
    "summary": "The Letter of Authorization's signing page (the token from signature_url is the credential)",
    "security": [],
    "parameters": [
     {
      "name": "token",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The page",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   },
   "post": {
    "summary": "Sign: the representative's typed name and consent",
    "security": [],
    "parameters": [
     {
      "name": "token",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/x-www-form-urlencoded": {
       "schema": {
        "type": "object",
        "properties": {
         "name": {
          "type": "string"
         },
         "consent": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Signed",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The page again, saying what was wrong",
      "content": {
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/v1/sip/port/sign/{token}/loa.pdf": {
   "get": {
    "summary": "The Letter of Authorization as a PDF",
    "security": [],
    "parameters": [
     {
      "name": "token",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The PDF",
      "content": {
       "application/pdf": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "405": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "415": {
      "$ref": "#/components/responses/Error"
     },
     "503": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key from `siptrunk api-key create`; the guide's plain `Authorization: KEY` is accepted too."
   }
  },
  "responses": {
   "Error": {
    "description": "Refused: the envelope's errors say what was wrong and what to do",
    "content": {
     "application/json": {
      "schema": {
       "type": "object",
       "required": [
        "data",
        "errors"
       ],
       "properties": {
        "data": {
         "type": "null"
        },
        "errors": {
         "type": "array",
         "minItems": 1,
         "items": {
          "type": "object",
          "required": [
           "error",
           "message"
          ],
          "properties": {
           "error": {
            "type": "string"
           },
           "message": {
            "type": "string"
           },
           "field": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     }
    }
   }
  }
 }
}
"""#
}
