import json,sys,collections,re
rows=[json.loads(l) for l in open(sys.argv[1])]
t0,t1=sys.argv[2],sys.argv[3]
a=[r for r in rows if r[0]>=t0][0]; b=[r for r in rows if r[0]<=t1][-1]
print('from',a[0],'to',b[0])
agg=collections.defaultdict(lambda:[0,0])
for tid,(name,u,s) in b[1].items():
    u0,s0=(a[1][tid][1],a[1][tid][2]) if tid in a[1] else (0,0)
    key=re.sub(r'\s*\(\d+/\d+\)#\d+','',name)
    key=re.sub(r'\d+$','#',key)
    agg[key][0]+=u-u0; agg[key][1]+=s-s0
tot=[0,0]
for k,(u,s) in sorted(agg.items(),key=lambda x:-(x[1][0]+x[1][1])):
    tot[0]+=u; tot[1]+=s
    if u+s>0: print(f'{(u+s)/100:7.2f} core-s  user {u/100:6.2f} sys {s/100:6.2f}  {k}')
print('total user',tot[0]/100,'sys',tot[1]/100)
